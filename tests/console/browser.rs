//! The console tests' harness: Chromium over WebDriver ([`Browser`]), with screenshots and an
//! axe-core accessibility check of a page, and plain HTTP helpers for forms posted the way a
//! forger would post them.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;
use warden::console;

use crate::admin::{code, Account, PASSWORD};
use crate::support::{Backend, Gateway};

/// axe-core 4.14.1 (MPL-2.0, Deque Systems), `axe.min.js` from the npm package, vendored so the
/// check needs no network. It is injected by WebDriver, never served by Warden.
const AXE: &str = include_str!("axe.min.js");

/// Chromium driven by its own chromedriver on a free port; both end with the value.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// Chromium's profile, removed with the value.
    _profile: tempfile::TempDir,
    backend: Backend,
}

impl Drop for Browser {
    /// Ends chromedriver and the Chromium it started, whatever the test did: killing only the
    /// driver would leave the browser running, orphaned, through the rest of the suite.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    pub async fn start(backend: Backend) -> Result<Self> {
        for tool in ["chromium", "chromedriver"] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !found {
                bail!(
                    "`{tool}` is not installed: the console's browser tests need Debian's \
                     chromium and chromium-driver (apt-get install -y chromium chromium-driver; \
                     .ci/run does it)"
                );
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let profile = tempfile::tempdir()?;
        // Its own process group, so that the browser goes with it (see `Drop`).
        let driver = Command::new("chromedriver")
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1200,900",
                         format!("--user-data-dir={}", profile.path().display())]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Ok(Self {
                        client,
                        driver,
                        _profile: profile,
                        backend,
                    })
                }
                Err(e) => last = Some(e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut driver = driver;
        let _ = driver.kill();
        bail!("chromedriver did not start a Chromium session: {last:?}")
    }

    pub async fn goto(&self, gw: &Gateway, path: &str) -> Result<()> {
        Ok(self
            .client
            .goto(&format!("{}{path}", gw.admin_url()))
            .await?)
    }

    pub async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.client.find(Locator::Css(css)).await?.text().await?)
    }

    pub async fn count(&self, css: &str) -> Result<usize> {
        Ok(self.client.find_all(Locator::Css(css)).await?.len())
    }

    /// Clicks a button that submits a form, and waits for the browser to land on the answer
    /// (WebDriver's click may return before the navigation it starts).
    pub async fn click(&self, css: &str) -> Result<()> {
        let before = self.client.current_url().await?;
        self.client.find(Locator::Css(css)).await?.click().await?;
        for _ in 0..200 {
            if self.client.current_url().await? != before {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("clicking {css} did not navigate")
    }

    /// Reaches the control `css` with the Tab key alone, checks that it shows a visible focus
    /// outline, presses Enter, and waits for the answer: the page works without a mouse.
    pub async fn press_by_keyboard(&self, css: &str) -> Result<()> {
        const TAB: &str = "\u{E004}";
        const ENTER: &str = "\u{E007}";
        let before = self.client.current_url().await?;
        let mut reached = false;
        for _ in 0..60 {
            self.client.active_element().await?.send_keys(TAB).await?;
            let hit = self
                .client
                .execute(
                    "return document.activeElement.matches(arguments[0]);",
                    vec![serde_json::json!(css)],
                )
                .await?;
            if hit.as_bool() == Some(true) {
                reached = true;
                break;
            }
        }
        ensure!(reached, "{css} cannot be reached with Tab");
        let outline = self
            .client
            .execute(
                "const s = getComputedStyle(document.activeElement); \
                 return s.outlineStyle + ' ' + s.outlineWidth;",
                vec![],
            )
            .await?;
        let outline = outline.as_str().unwrap_or_default().to_owned();
        ensure!(
            !outline.starts_with("none") && !outline.ends_with(" 0px"),
            "{css} has no visible focus: {outline}"
        );
        self.client.active_element().await?.send_keys(ENTER).await?;
        for _ in 0..200 {
            if self.client.current_url().await? != before {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("Enter on {css} did not navigate")
    }

    /// Every page a test lands on: saves a screenshot and runs the accessibility check.
    pub async fn check_page(&self, name: &str) -> Result<()> {
        self.screenshot(name).await?;
        self.assert_accessible(name).await
    }

    /// Saves the page as `target/console-screenshots/<name>-<backend>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<()> {
        let png = self.client.screenshot().await?;
        let dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
            .join("console-screenshots");
        std::fs::create_dir_all(&dir)?;
        let backend = match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        std::fs::write(dir.join(format!("{name}-{backend}.png")), png)?;
        Ok(())
    }

    /// Runs axe-core on the page as it is now and fails on any violation of impact "serious"
    /// or "critical" (WCAG 2.x A and AA rules and axe's best practices), naming the rule and
    /// the elements. WebDriver's script runs outside the page's CSP, which forbids all script.
    pub async fn assert_accessible(&self, page: &str) -> Result<()> {
        self.client.execute(AXE, vec![]).await?;
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => done(JSON.stringify(r.violations.map(v => ({
                        id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(' ')) })))))
                    .catch(e => done(JSON.stringify({ error: String(e) })));",
                vec![],
            )
            .await?;
        let text = result.as_str().context("axe answered")?;
        let violations: serde_json::Value = serde_json::from_str(text)?;
        let list = violations
            .as_array()
            .with_context(|| format!("axe failed on {page}: {text}"))?;
        ensure!(!list.is_empty() || text == "[]", "axe: {text}");
        let serious: Vec<&serde_json::Value> = list
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        ensure!(
            serious.is_empty(),
            "{page}: accessibility violations: {}",
            serde_json::to_string_pretty(&serious)?
        );
        Ok(())
    }

    /// Types the credentials and a fresh TOTP code into the login form, as a keyboard would.
    pub async fn log_in(&self, gw: &Gateway, who: &Account) -> Result<()> {
        gw.clock.advance_ms(30_000);
        let totp = code(gw, who);
        for (id, value) in [
            ("username", who.name.as_str()),
            ("password", PASSWORD),
            ("code", totp.as_str()),
        ] {
            self.client
                .find(Locator::Id(id))
                .await?
                .send_keys(value)
                .await?;
        }
        self.click("main form button[type=submit]").await
    }

    /// The session's cookies as a `Cookie` header, and the page's CSRF token.
    pub async fn credentials(&self) -> Result<(String, String)> {
        let cookies = self
            .client
            .get_all_cookies()
            .await?
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let csrf = self
            .client
            .find(Locator::Css("input[name=csrf]"))
            .await?
            .attr("value")
            .await?
            .context("a CSRF token")?;
        Ok((cookies, csrf))
    }
}

/// A client that shows redirects instead of following them.
pub fn http() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// A form post as a forger would send it: the operator's cookies, the console's own origin.
pub async fn post(
    gw: &Gateway,
    path: &str,
    cookies: &str,
    origin: &str,
    form: &[(&str, &str)],
) -> Result<reqwest::Response> {
    Ok(http()?
        .post(format!("{}{path}", gw.admin_url()))
        .header(header::COOKIE, cookies)
        .header(header::ORIGIN, origin)
        .form(form)
        .send()
        .await?)
}

/// Logs in over HTTP; the `Cookie` header of the new session.
pub async fn http_login(gw: &Gateway, who: &Account, next: &str) -> Result<(String, HeaderMap)> {
    gw.clock.advance_ms(30_000);
    let r = post(
        gw,
        "/console/login",
        "",
        &gw.admin_url(),
        &[
            ("username", who.name.as_str()),
            ("password", PASSWORD),
            ("code", &code(gw, who)),
            ("next", next),
        ],
    )
    .await?;
    ensure!(r.status() == StatusCode::SEE_OTHER, "login: {}", r.status());
    let headers = r.headers().clone();
    Ok((session_cookies(&headers)?, headers))
}

pub fn session_cookies(headers: &HeaderMap) -> Result<String> {
    let pairs: Vec<String> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect();
    ensure!(pairs.len() == 2, "two cookies: {pairs:?}");
    Ok(pairs.join("; "))
}

pub fn assert_console_headers(path: &str, headers: &HeaderMap) -> Result<()> {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    ensure!(
        h("content-security-policy") == console::CSP,
        "{path}: CSP {}",
        h("content-security-policy")
    );
    ensure!(h("x-content-type-options") == "nosniff", "{path}");
    ensure!(h("referrer-policy") == "no-referrer", "{path}");
    ensure!(h("cache-control") == "no-store", "{path}");
    ensure!(h("x-frame-options") == "DENY", "{path}");
    Ok(())
}
