use warden_types::Clock;
use warden_types::UnixMillis;

/// The system clock: the one place that reads wall-clock time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the clock adapter is where time is read"
    )]
    fn now(&self) -> UnixMillis {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        UnixMillis(ms)
    }
}

/// Pairing codes from the operating system's CSPRNG: 40 bits each, the code's whole alphabet.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsPairingCodes;

impl warden_assistant::PairingCodes for OsPairingCodes {
    fn fresh(&self) -> warden_gates::PairingCode {
        use rand::RngCore;
        let mut bytes = [0u8; 5];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        warden_gates::PairingCode::from_entropy(bytes)
    }
}
