//! What GDAL says while a file is opened or read: its warnings, and the errors it recovered from
//! (a damaged tag skipped, a CRS it could not read, a strip count it corrected). GDAL prints
//! them on stderr by itself, without the file's name and never in the app; sarscope keeps them
//! with the scene, naming the file, and hands each new one to a sink the front end installs
//! (the CLI prints a warning line, the app shows a notice).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, OnceLock, PoisonError};

use gdal::errors::CplErrType;
use serde::Serialize;

/// How serious a message of GDAL's was. Both mean the file is not as it should be; the call
/// that raised it went on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One message of GDAL's about one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GdalNote {
    pub path: PathBuf,
    pub severity: Severity,
    pub message: String,
    /// How many times GDAL said it (once per block, for some).
    pub times: usize,
}

impl std::fmt::Display for GdalNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.severity {
            Severity::Warning => "GDAL warns",
            Severity::Error => "GDAL reported an error and went on",
        };
        write!(f, "{}: {what}: {}", self.path.display(), self.message)?;
        if self.times > 1 {
            write!(f, " ({} times)", self.times)?;
        }
        Ok(())
    }
}

/// Where new notes go as they arrive: the CLI prints them, the app queues notices.
pub type NoteSink = Box<dyn Fn(&GdalNote) + Send + Sync>;

static SINK: OnceLock<NoteSink> = OnceLock::new();

/// Installs the front end's sink for new notes (once per process; a second call is ignored).
pub fn set_note_sink(sink: NoteSink) {
    if SINK.set(sink).is_err() {
        tracing::debug!("a GDAL note sink was already installed");
    }
}

/// One message as GDAL raised it.
#[derive(Clone, Debug)]
pub(crate) struct Raised {
    severity: Severity,
    message: String,
}

thread_local! {
    /// The captures open on this thread, innermost last.
    static CAPTURES: RefCell<Vec<Vec<Raised>>> = const { RefCell::new(Vec::new()) };
}

/// GDAL's messages go to the capture open on the thread that raised them; those raised outside
/// one (and GDAL's debug output) go to the log (`RUST_LOG=gdal=debug`).
pub fn install_gdal_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        gdal::config::set_error_handler(|class, number, message| {
            let severity = match class {
                CplErrType::Warning => Severity::Warning,
                CplErrType::Failure | CplErrType::Fatal => Severity::Error,
                CplErrType::None | CplErrType::Debug => {
                    tracing::debug!(target: "gdal", number, "{message}");
                    return;
                }
            };
            let raised = Raised {
                severity,
                message: message.trim().to_string(),
            };
            let kept = CAPTURES.with(|c| match c.try_borrow_mut() {
                Ok(mut stack) => match stack.last_mut() {
                    Some(top) => {
                        top.push(raised.clone());
                        true
                    }
                    None => false,
                },
                Err(_) => false,
            });
            if !kept {
                tracing::debug!(target: "gdal", ?class, number, "{}", raised.message);
            }
        });
    });
}

/// Runs `f`, returning what GDAL said on this thread meanwhile.
pub(crate) fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<Raised>) {
    install_gdal_handler();
    CAPTURES.with(|c| c.borrow_mut().push(Vec::new()));
    let out = f();
    let raised = CAPTURES.with(|c| c.borrow_mut().pop()).unwrap_or_default();
    (out, raised)
}

/// The first error among what GDAL raised (its warnings aside).
pub(crate) fn first_error(raised: &[Raised]) -> Option<String> {
    raised
        .iter()
        .find(|r| r.severity == Severity::Error)
        .map(|r| r.message.clone())
}

/// The most notes a scene keeps (a file damaged all over says the same thing per block; the
/// distinct messages beyond these are counted, not kept).
const MAX_NOTES: usize = 32;

/// A scene's notes: each distinct message once per file, with its count.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    inner: Mutex<NotesInner>,
}

#[derive(Debug, Default)]
struct NotesInner {
    notes: Vec<GdalNote>,
    index: BTreeMap<(PathBuf, String), usize>,
    dropped: usize,
}

impl Notes {
    /// Adds what GDAL said about `path`; new messages go to the sink.
    pub(crate) fn add(&self, path: &Path, raised: Vec<Raised>) {
        if raised.is_empty() {
            return;
        }
        let mut fresh = Vec::new();
        {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            for r in raised {
                let key = (path.to_path_buf(), r.message.clone());
                if let Some(&i) = inner.index.get(&key) {
                    if let Some(note) = inner.notes.get_mut(i) {
                        note.times += 1;
                        note.severity = note.severity.max(r.severity);
                    }
                    continue;
                }
                if inner.notes.len() >= MAX_NOTES {
                    inner.dropped += 1;
                    continue;
                }
                let note = GdalNote {
                    path: path.to_path_buf(),
                    severity: r.severity,
                    message: without_path(&r.message, path),
                    times: 1,
                };
                let i = inner.notes.len();
                inner.index.insert(key, i);
                fresh.push(note.clone());
                inner.notes.push(note);
            }
        }
        if let Some(sink) = SINK.get() {
            for note in &fresh {
                sink(note);
            }
        }
    }

    /// Every note, and when more distinct messages came than are kept, one saying how many.
    pub(crate) fn all(&self) -> Vec<GdalNote> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all = inner.notes.clone();
        if let Some(last) = inner.notes.last()
            && inner.dropped > 0
        {
            all.push(GdalNote {
                path: last.path.clone(),
                severity: Severity::Warning,
                message: format!("and {} other messages not kept", inner.dropped),
                times: 1,
            });
        }
        all
    }
}

/// GDAL's message without the file's name, which the note puts first ("x.tif: TIFFFetch..:
/// ..." and "TIFFFetchDirectory:x.tif: ..." both name it).
fn without_path(message: &str, path: &Path) -> String {
    let name = path.display().to_string();
    if name.is_empty() {
        return message.to_string();
    }
    message
        .replace(&format!("{name}: "), "")
        .replace(&format!("{name}:"), "")
        .replace(&name, "the file")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raised(severity: Severity, message: &str) -> Raised {
        Raised {
            severity,
            message: message.into(),
        }
    }

    #[test]
    fn a_message_said_per_block_is_one_note_with_its_count() {
        let notes = Notes::default();
        let path = Path::new("/data/x.tif");
        notes.add(
            path,
            vec![
                raised(Severity::Warning, "TIFFReadDirectory: bad tag"),
                raised(Severity::Error, "block 3 failed"),
                raised(Severity::Error, "block 3 failed"),
            ],
        );
        notes.add(path, vec![raised(Severity::Error, "block 3 failed")]);
        let all = notes.all();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].times, 3);
        assert_eq!(
            all[1].to_string(),
            "/data/x.tif: GDAL reported an error and went on: block 3 failed (3 times)"
        );
        assert_eq!(
            all[0].to_string(),
            "/data/x.tif: GDAL warns: TIFFReadDirectory: bad tag"
        );
    }

    #[test]
    fn the_file_is_named_once() {
        let path = Path::new("/tmp/a.tif");
        assert_eq!(
            without_path("/tmp/a.tif: TIFFFetchNormalTag:Incorrect count", path),
            "TIFFFetchNormalTag:Incorrect count"
        );
        assert_eq!(
            without_path(
                "TIFFFetchDirectory:/tmp/a.tif: Can not read TIFF directory count",
                path
            ),
            "TIFFFetchDirectory:Can not read TIFF directory count"
        );
        assert_eq!(
            without_path("`/tmp/a.tif' is damaged", path),
            "`the file' is damaged"
        );
    }

    #[test]
    fn notes_beyond_the_limit_are_counted() {
        let notes = Notes::default();
        let many = (0..MAX_NOTES + 5)
            .map(|i| raised(Severity::Warning, &format!("message {i}")))
            .collect();
        notes.add(Path::new("y.tif"), many);
        let all = notes.all();
        assert_eq!(all.len(), MAX_NOTES + 1);
        assert_eq!(all[MAX_NOTES].message, "and 5 other messages not kept");
    }

    #[test]
    fn what_gdal_says_inside_a_capture_is_caught_on_this_thread_only() {
        // A GeoTIFF GDAL cannot open: its complaint is raised inside the capture.
        let dir = std::env::temp_dir().join(format!("sarscope-diag-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let bad = dir.join("bad.tif");
        let _ = std::fs::write(&bad, b"II*\0\x08\0\0\0\xff\xff");
        let (opened, raised) = capture(|| gdal::Dataset::open(&bad).is_ok());
        assert!(!opened);
        assert!(!raised.is_empty(), "GDAL said nothing about a broken TIFF");
        let (_, none) = capture(|| ());
        assert!(none.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
