//! The app's log on disk: `koppla.log` in the app's log folder, rotated by size so a long-running
//! softphone never fills the disk (5 files of at most 2 MB: `koppla.log`, `koppla.1.log` …
//! `koppla.4.log`, oldest last). tracing-appender rotates by time only, hence this small writer
//! (docs/decisions/0704-menus-about-diagnostics.md).
//!
//! Logging starts before Tauri knows its folders, so lines written before [`open_in`] are kept in
//! a bounded buffer and written to the file once it opens.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, MutexGuard, OnceLock};

/// Bytes one file may hold before the next line starts a new one.
pub const MAX_BYTES: u64 = 2 * 1024 * 1024;
/// Files kept, the current one included.
pub const KEEP: usize = 5;
/// What is kept from before the folder is known; more is dropped (and counted) rather than
/// growing without bound if the folder never comes.
const EARLY_LIMIT: usize = 256 * 1024;

const STEM: &str = "koppla";

/// A file writer that starts a new file when the current one would pass `max_bytes`.
pub struct RotatingFile {
    dir: Option<PathBuf>,
    max_bytes: u64,
    keep: usize,
    file: Option<File>,
    written: u64,
    early: Vec<u8>,
    early_dropped: usize,
}

impl RotatingFile {
    /// A writer with no folder yet: it buffers until [`RotatingFile::open_in`].
    pub fn new(max_bytes: u64, keep: usize) -> RotatingFile {
        RotatingFile {
            dir: None,
            max_bytes,
            keep: keep.max(1),
            file: None,
            written: 0,
            early: Vec::new(),
            early_dropped: 0,
        }
    }

    /// Starts writing into `dir` (created if missing), appending to today's file if there is
    /// one, then writes what was buffered.
    pub fn open_in(&mut self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let path = file_path(dir, 0);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        self.written = file.metadata()?.len();
        self.file = Some(file);
        self.dir = Some(dir.to_path_buf());
        let early = std::mem::take(&mut self.early);
        if self.early_dropped > 0 {
            let note = format!(
                "[{} bytes of early log lines were dropped before the log folder was known]\n",
                self.early_dropped
            );
            self.write_all(note.as_bytes())?;
            self.early_dropped = 0;
        }
        self.write_all(&early)
    }

    fn rotate(&mut self) -> io::Result<()> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        self.file = None;
        // Shift koppla.3.log → koppla.4.log … koppla.log → koppla.1.log; the oldest falls off.
        let _ = std::fs::remove_file(file_path(&dir, self.keep - 1));
        for index in (0..self.keep - 1).rev() {
            let from = file_path(&dir, index);
            if from.exists() {
                std::fs::rename(&from, file_path(&dir, index + 1))?;
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(file_path(&dir, 0))?;
        self.file = Some(file);
        self.written = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.dir.is_none() {
            let room = EARLY_LIMIT.saturating_sub(self.early.len());
            let kept = buf.len().min(room);
            self.early.extend_from_slice(&buf[..kept]);
            self.early_dropped += buf.len() - kept;
            return Ok(buf.len());
        }
        // A line that alone is larger than a file still goes in whole, into a fresh file.
        if self.written > 0 && self.written + buf.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let Some(file) = self.file.as_mut() else {
            return Err(io::Error::other("log file is not open"));
        };
        file.write_all(buf)?;
        self.written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

/// `koppla.log` for 0, `koppla.N.log` for older ones.
fn file_path(dir: &Path, index: usize) -> PathBuf {
    if index == 0 {
        dir.join(format!("{STEM}.log"))
    } else {
        dir.join(format!("{STEM}.{index}.log"))
    }
}

/// The log files in `dir`, oldest first, so they read in order when put together.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    (0..KEEP)
        .rev()
        .map(|index| file_path(dir, index))
        .filter(|path| path.is_file())
        .collect()
}

/// The app's one log file, shared by the tracing layer and [`open_in`].
static LOG: LazyLock<Mutex<RotatingFile>> =
    LazyLock::new(|| Mutex::new(RotatingFile::new(MAX_BYTES, KEEP)));
static DIR: OnceLock<PathBuf> = OnceLock::new();

fn log() -> MutexGuard<'static, RotatingFile> {
    // A panic while a line was written leaves a usable file: keep logging.
    LOG.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One event's write to the shared file, holding it so lines do not interleave.
pub struct LogGuard(MutexGuard<'static, RotatingFile>);

impl Write for LogGuard {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// The writer for the tracing layer.
pub fn writer() -> impl Fn() -> LogGuard + Send + Sync + 'static {
    || LogGuard(log())
}

/// Starts writing the log into `dir`, once the app knows its log folder.
pub fn open_in(dir: &Path) -> io::Result<()> {
    log().open_in(dir)?;
    let _ = DIR.set(dir.to_path_buf());
    Ok(())
}

/// The folder the log is written to, once [`open_in`] succeeded.
pub fn dir() -> Option<&'static Path> {
    DIR.get().map(PathBuf::as_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn lines_before_the_folder_is_known_are_written_when_it_is() {
        let dir = tempdir("early");
        let mut log = RotatingFile::new(1024, 3);
        log.write_all(b"starting\n").unwrap();
        log.open_in(&dir).unwrap();
        log.write_all(b"ready\n").unwrap();
        assert_eq!(read(&dir.join("koppla.log")), "starting\nready\n");
    }

    #[test]
    fn a_full_file_moves_aside_and_the_oldest_falls_off() {
        let dir = tempdir("rotate");
        let mut log = RotatingFile::new(10, 3);
        log.open_in(&dir).unwrap();
        for line in ["aaaaaaaa\n", "bbbbbbbb\n", "cccccccc\n", "dddddddd\n"] {
            log.write_all(line.as_bytes()).unwrap();
        }
        assert_eq!(read(&dir.join("koppla.log")), "dddddddd\n");
        assert_eq!(read(&dir.join("koppla.1.log")), "cccccccc\n");
        assert_eq!(read(&dir.join("koppla.2.log")), "bbbbbbbb\n");
        assert!(!dir.join("koppla.3.log").exists(), "only three files kept");
        let total: u64 = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(total <= 3 * 10, "size cap holds: {total} bytes");
    }

    #[test]
    fn files_are_listed_oldest_first() {
        let dir = tempdir("list");
        let mut log = RotatingFile::new(4, KEEP);
        log.open_in(&dir).unwrap();
        log.write_all(b"one\n").unwrap();
        log.write_all(b"two\n").unwrap();
        let names: Vec<String> = files_in(&dir)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["koppla.1.log", "koppla.log"]);
    }

    #[test]
    fn an_existing_log_is_appended_to_and_counts_towards_the_cap() {
        let dir = tempdir("append");
        std::fs::write(dir.join("koppla.log"), "old line\n").unwrap();
        let mut log = RotatingFile::new(12, 2);
        log.open_in(&dir).unwrap();
        log.write_all(b"new line\n").unwrap();
        assert_eq!(read(&dir.join("koppla.1.log")), "old line\n");
        assert_eq!(read(&dir.join("koppla.log")), "new line\n");
    }

    #[test]
    fn early_lines_beyond_the_limit_are_counted_not_kept() {
        let dir = tempdir("limit");
        let mut log = RotatingFile::new(MAX_BYTES, 2);
        let chunk = vec![b'x'; EARLY_LIMIT];
        log.write_all(&chunk).unwrap();
        log.write_all(b"lost\n").unwrap();
        log.open_in(&dir).unwrap();
        let text = read(&dir.join("koppla.log"));
        assert!(text.starts_with("[5 bytes of early log lines were dropped"));
        assert_eq!(text.len(), EARLY_LIMIT + text.find('\n').unwrap() + 1);
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "koppla-log-test-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
