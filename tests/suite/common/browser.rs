//! Headless Chromium for the report tests: the DOM after the page's scripts
//! ran (`--dump-dom`), screenshots, and the page's `#selftest` result.
//!
//! Chromium is `LIFECIRCLE_CHROMIUM` (a path, or a name on `PATH`), else the
//! first of `chromium`, `chromium-browser`, `google-chrome` on `PATH`. Without
//! one the tests fail, unless `LIFECIRCLE_SKIP_BROWSER=1`: then [`chromium`]
//! prints a "skipped" line and returns `None`.
//!
//! Every run gets a fresh profile folder and a watchdog ([`TIMEOUT`]); the
//! page's console messages (Chromium logs them to stderr as `:INFO:CONSOLE`
//! lines) are returned for the caller to judge: a lifecircle page never logs.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A browser run is killed (and the test fails) after this long.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Flags of every run: headless, offline, no first-run work, console on stderr.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=10000",
];

/// A Chromium executable.
#[derive(Debug, Clone)]
pub struct Chromium {
    exe: PathBuf,
}

/// `name` as an executable file on `PATH`, or `name` itself when it is a path.
fn find_executable(name: &str) -> Option<PathBuf> {
    let is_exe = |p: &Path| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        }
        #[cfg(not(unix))]
        {
            p.is_file()
        }
    };
    if name.contains(std::path::MAIN_SEPARATOR) || name.contains('/') {
        let p = PathBuf::from(name);
        return is_exe(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_exe(p))
}

/// The browser, or `None` (after a "skipped" line on stderr) when there is
/// none and `LIFECIRCLE_SKIP_BROWSER=1`. Panics when there is none otherwise,
/// or when `LIFECIRCLE_CHROMIUM` names no executable.
pub fn chromium() -> Option<Chromium> {
    if let Some(name) = std::env::var_os("LIFECIRCLE_CHROMIUM").filter(|v| !v.is_empty()) {
        let name = name.to_string_lossy().into_owned();
        let exe = find_executable(&name)
            .unwrap_or_else(|| panic!("LIFECIRCLE_CHROMIUM={name:?} is not an executable file (nor one on PATH)"));
        return Some(Chromium { exe });
    }
    if let Some(exe) = ["chromium", "chromium-browser", "google-chrome"].into_iter().find_map(find_executable) {
        return Some(Chromium { exe });
    }
    if std::env::var_os("LIFECIRCLE_SKIP_BROWSER").is_some_and(|v| v == "1") {
        // Straight to stderr: the test harness captures `eprintln!` of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: no Chromium (LIFECIRCLE_SKIP_BROWSER=1); {} did not open the page in a browser",
            std::thread::current().name().unwrap_or("a test")
        );
        return None;
    }
    panic!(
        "headless Chromium is needed: `apt-get install chromium` (bash .ci/run installs it) or set \
         LIFECIRCLE_SKIP_BROWSER=1 (or point LIFECIRCLE_CHROMIUM at a Chromium/Chrome executable)"
    );
}

/// What one browser run printed.
struct RunOutput {
    stdout: String,
    stderr: String,
}

/// Reads a pipe to its end on a thread (so a full pipe never blocks the browser).
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// `file://` URL of `path` (made absolute), with `fragment` (without `#`) when not empty.
pub fn file_url(path: &Path, fragment: &str) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut url = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    if !fragment.is_empty() {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

/// The `:INFO:CONSOLE` lines (console messages, uncaught exceptions) of a run's stderr.
pub fn console_lines(stderr: &str) -> Vec<String> {
    stderr.lines().filter(|l| l.contains(":INFO:CONSOLE")).map(str::to_owned).collect()
}

impl Chromium {
    /// Runs the browser with [`FLAGS`], a fresh profile and `args`; kills it
    /// (its whole process group) and panics after [`TIMEOUT`] or when it fails.
    fn run(&self, args: &[String]) -> RunOutput {
        let profile = tempfile::tempdir().expect("temp dir for the browser profile");
        let mut cmd = Command::new(&self.exe);
        cmd.args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{} does not start: {e}", self.exe.display()));
        let out = drain(child.stdout.take().expect("piped stdout"));
        let err = drain(child.stderr.take().expect("piped stderr"));
        let start = Instant::now();
        let status = loop {
            match child.try_wait().expect("wait for the browser") {
                Some(status) => break status,
                None if start.elapsed() > TIMEOUT => {
                    #[cfg(unix)]
                    {
                        // The renderer and GPU processes are in the browser's process group.
                        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
                    }
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{} {args:?} did not finish within {TIMEOUT:?}; killed", self.exe.display());
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        let stdout = String::from_utf8_lossy(&out.join().expect("stdout reader")).into_owned();
        let stderr = String::from_utf8_lossy(&err.join().expect("stderr reader")).into_owned();
        assert!(status.success(), "{} {args:?} failed ({status}):\n{stderr}", self.exe.display());
        RunOutput { stdout, stderr }
    }

    /// The DOM of `url` after its scripts ran, and the console lines of the run.
    pub fn dump_dom(&self, url: &str) -> (String, Vec<String>) {
        // A desktop window: the self-check hovers over the map at points it finds on screen.
        let r = self.run(&["--window-size=1400,900".to_owned(), "--dump-dom".to_owned(), url.to_owned()]);
        let console = console_lines(&r.stderr);
        (r.stdout, console)
    }

    /// A `width`×`height` PNG screenshot of `url` written to `path`; returns the console lines.
    pub fn screenshot(&self, url: &str, width: u32, height: u32, path: &Path) -> Vec<String> {
        let _ = std::fs::remove_file(path);
        let r = self.run(&[
            format!("--screenshot={}", path.display()),
            format!("--window-size={width},{height}"),
            "--hide-scrollbars".to_owned(),
            url.to_owned(),
        ]);
        assert!(path.is_file(), "no screenshot written to {}:\n{}", path.display(), r.stderr);
        console_lines(&r.stderr)
    }

    /// Opens `report_html` with `#selftest` and returns the page's JSON
    /// check (`<pre id="lc-selftest">`); panics when the page logged anything
    /// to the console or wrote no check.
    pub fn selftest(&self, report_html: &Path) -> Value {
        self.selftest_with_dom(report_html).0
    }

    /// [`selftest`](Self::selftest) and the DOM it was read from.
    pub fn selftest_with_dom(&self, report_html: &Path) -> (Value, String) {
        let (dom, console) = self.dump_dom(&file_url(report_html, "selftest"));
        assert!(
            console.is_empty(),
            "{}: the page logged to the console:\n{}",
            report_html.display(),
            console.join("\n")
        );
        let open = "<pre id=\"lc-selftest\">";
        // The element is appended to the body after the scripts (whose text may name it too).
        let after_scripts = dom.rfind("</script>").unwrap_or(0);
        let start = after_scripts
            + dom[after_scripts..].find(open).unwrap_or_else(|| {
                let tail: String = dom.chars().rev().take(2000).collect::<Vec<_>>().into_iter().rev().collect();
                panic!("{}: no <pre id=\"lc-selftest\"> in the DOM; its end:\n{tail}", report_html.display())
            })
            + open.len();
        let len = dom[start..].find("</pre>").expect("</pre> after the selftest");
        let json = html_unescape(&dom[start..start + len]);
        let value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("selftest is not JSON ({e}):\n{json}"));
        (value, dom)
    }
}

/// Undoes the escaping of text by `--dump-dom` (`&amp;` last, so `&amp;lt;` stays `&lt;`).
pub fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// A decoded screenshot: RGB per pixel, row by row.
pub struct Screenshot {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<[u8; 3]>,
}

impl Screenshot {
    /// Decodes a PNG (opaque, as Chromium writes screenshots).
    pub fn load(path: &Path) -> Screenshot {
        let pixmap = tiny_skia::Pixmap::load_png(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rgb = pixmap
            .pixels()
            .iter()
            .map(|p| {
                let c = p.demultiply();
                [c.red(), c.green(), c.blue()]
            })
            .collect();
        Screenshot { width: pixmap.width(), height: pixmap.height(), rgb }
    }

    /// Population variance of the pixels' luminance (Rec. 709 weights, 0–255).
    pub fn luminance_variance(&self) -> f64 {
        let lum: Vec<f64> =
            self.rgb.iter().map(|p| 0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64).collect();
        let n = lum.len().max(1) as f64;
        let mean = lum.iter().sum::<f64>() / n;
        lum.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / n
    }

    /// Pixels of exactly `colour`.
    pub fn count(&self, colour: [u8; 3]) -> usize {
        self.rgb.iter().filter(|p| **p == colour).count()
    }
}
