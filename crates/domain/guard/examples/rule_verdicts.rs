//! The rules' verdict (no classifier) on each line of stdin: `1` (injection) or `0`, a tab, the
//! line. `train/train.py --cv --rules FILE` combines them with the classifier's out-of-fold
//! scores to report the whole guard's cross-validated figures (the rules do not depend on the
//! model, so they are computed once).
//!
//! ```sh
//! cd crates/domain/guard
//! cat tests/corpus/*.txt train/data/*.txt train/heldout/*.txt \
//!     | cargo run --release -p warden-guard --example rule_verdicts > /tmp/rules.tsv
//! python3 train/train.py --cv --rules /tmp/rules.tsv
//! ```

use std::io::{BufRead, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let guard = warden_guard::Guard::new(warden_guard::GuardConfig::default())?;
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        let v = guard.check_rules(&line);
        writeln!(out, "{}\t{line}", u8::from(v.is_injection()))?;
    }
    out.flush()?;
    Ok(())
}
