//! Which process holds an idempotency key, and whether it still lives.
//!
//! Each process that opens the data directory takes an exclusive lock on a
//! file of its own, `holders/<id>.lock`, for as long as it runs; the kernel
//! lets the lock go when the process ends, however it ends (`kill -9`
//! included). A key held by a process whose lock can be taken is held by
//! nobody: the next attempt takes it over at once, without waiting for the
//! record to expire.

use std::collections::HashSet;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use responder_sfn::Random as _;

use crate::error::LocalError;

#[derive(Debug)]
pub struct Holder {
    id: String,
    dir: PathBuf,
    /// Locked for the life of the process.
    _lock: File,
    /// Holders found dead. The check takes the dead holder's lock for a
    /// moment: two checks at once in this process (parallel deliveries
    /// after a restart) would see each other's lock and call a dead holder
    /// alive, so checks run one at a time and a verdict of death is kept.
    dead: Mutex<HashSet<String>>,
}

impl Holder {
    /// Registers this process in `dir` (created if needed).
    pub fn register(dir: &Path) -> Result<Self, LocalError> {
        std::fs::create_dir_all(dir).map_err(|e| LocalError::io(dir, &e))?;
        let random = responder_sfn::OsRandom;
        let id = format!("{:016x}{:016x}", random.next_u64(), random.next_u64());
        let path = dir.join(format!("{id}.lock"));
        let lock = File::create(&path).map_err(|e| LocalError::io(&path, &e))?;
        lock.try_lock().map_err(|e| match e {
            TryLockError::Error(e) => LocalError::io(&path, &e),
            TryLockError::WouldBlock => LocalError::Io(format!("{} is locked", path.display())),
        })?;
        Ok(Self {
            id,
            dir: dir.to_path_buf(),
            _lock: lock,
            dead: Mutex::new(HashSet::new()),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the process `other` still runs. Ids that are not ours to
    /// read (not hex) count as alive: their records expire on their own.
    pub fn is_alive(&self, other: &str) -> bool {
        if other == self.id {
            return true;
        }
        if other.is_empty() || !other.chars().all(|c| c.is_ascii_hexdigit()) {
            return true;
        }
        let Ok(mut dead) = self.dead.lock() else {
            return true;
        };
        if dead.contains(other) {
            return false;
        }
        let path = self.dir.join(format!("{other}.lock"));
        let alive = match File::open(&path) {
            // No lock file: that process is long gone.
            Err(_) => false,
            Ok(file) => match file.try_lock() {
                Ok(()) => {
                    // Its lock was free: it died. Its file goes with it.
                    let _ = std::fs::remove_file(&path);
                    false
                }
                Err(TryLockError::WouldBlock | TryLockError::Error(_)) => true,
            },
        };
        if !alive {
            dead.insert(other.to_owned());
        }
        alive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_is_alive_while_its_lock_is_held() {
        let dir = std::env::temp_dir().join(format!("responder-holders-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let me = Holder::register(&dir).unwrap();
        let other = Holder::register(&dir).unwrap();
        assert!(me.is_alive(other.id()));
        let gone = other.id().to_owned();
        drop(other);
        assert!(!me.is_alive(&gone));
        assert!(!dir.join(format!("{gone}.lock")).exists());
        assert!(me.is_alive(me.id()));
    }

    #[test]
    fn checks_at_once_all_find_a_dead_holder_dead() {
        let dir =
            std::env::temp_dir().join(format!("responder-holders-par-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let me = Holder::register(&dir).unwrap();
        for _ in 0..20 {
            let gone = Holder::register(&dir).unwrap();
            let id = gone.id().to_owned();
            drop(gone);
            // Three deliveries resumed after a restart ask at once.
            let verdicts: Vec<bool> = std::thread::scope(|scope| {
                let checks: Vec<_> = (0..3).map(|_| scope.spawn(|| me.is_alive(&id))).collect();
                checks.into_iter().map(|c| c.join().unwrap()).collect()
            });
            assert_eq!(verdicts, [false, false, false]);
        }
    }
}
