//! CPU time and memory of a server's whole process tree, from /proc.
//!
//! Kamailio forks its workers (and a child's CPU only reaches the parent's counters once it is
//! reaped), so a server is measured as a root pid plus every descendant alive at sampling time.
//! Memory is summed as PSS: RSS summed over forked workers would count Kamailio's shared memory
//! once per process.

use koppla_interop::sysstat::{clock_ticks, parse_cpu_ticks, parse_rss_kb};

/// Parent pid from the text of /proc/<pid>/stat (field 4, counted after the last ')').
pub fn parse_ppid(stat: &str) -> Option<u32> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// `Pss:` in kB from the text of /proc/<pid>/smaps_rollup.
pub fn parse_pss_kb(smaps_rollup: &str) -> Option<u64> {
    smaps_rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// `root` and its descendants, given (pid, ppid) pairs of every process.
pub fn tree_of(root: u32, parents: &[(u32, u32)]) -> Vec<u32> {
    let mut tree = vec![root];
    let mut i = 0;
    while let Some(&pid) = tree.get(i) {
        tree.extend(
            parents
                .iter()
                .filter(|(child, parent)| *parent == pid && !tree.contains(child))
                .map(|(child, _)| *child)
                .collect::<Vec<_>>(),
        );
        i += 1;
    }
    tree
}

fn read(pid: u32, file: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()
}

fn all_parents() -> Vec<(u32, u32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, parse_ppid(&read(pid, "stat")?)?)))
        .collect()
}

/// Pids of the tree rooted at `root` right now (processes that vanish mid-scan are skipped).
pub fn tree(root: u32) -> Vec<u32> {
    tree_of(root, &all_parents())
}

/// User + system CPU seconds of the tree.
pub fn cpu_seconds(root: u32) -> f64 {
    let ticks: u64 = tree(root)
        .into_iter()
        .filter_map(|pid| parse_cpu_ticks(&read(pid, "stat")?))
        .sum();
    ticks as f64 / clock_ticks() as f64
}

/// Memory of the tree right now.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Memory {
    pub rss_kb: u64,
    pub pss_kb: u64,
}

pub fn memory(root: u32) -> Memory {
    tree(root)
        .into_iter()
        .fold(Memory::default(), |acc, pid| Memory {
            rss_kb: acc.rss_kb
                + read(pid, "status")
                    .and_then(|s| parse_rss_kb(&s))
                    .unwrap_or(0),
            pss_kb: acc.pss_kb
                + read(pid, "smaps_rollup")
                    .and_then(|s| parse_pss_kb(&s))
                    .unwrap_or(0),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ppid_and_pss() {
        assert_eq!(parse_ppid("42 (a (b) c) S 7 42 42 0"), Some(7));
        assert_eq!(parse_ppid("garbage"), None);
        assert_eq!(
            parse_pss_kb("Rss:  100 kB\nPss:   64 kB\nPss_Anon: 3 kB\n"),
            Some(64)
        );
        assert_eq!(parse_pss_kb("Rss: 1 kB\n"), None);
    }

    #[test]
    fn tree_follows_grandchildren_but_not_siblings() {
        let parents = [(2, 1), (3, 2), (4, 3), (5, 1), (6, 9)];
        let mut t = tree_of(2, &parents);
        t.sort_unstable();
        assert_eq!(t, vec![2, 3, 4]);
        assert_eq!(tree_of(6, &parents), vec![6]);
    }

    #[test]
    fn a_forked_child_is_counted() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 2 & wait"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let t = tree(child.id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(t.len() >= 2, "sh and its sleep: {t:?}");
        let me = memory(std::process::id());
        assert!(me.rss_kb > 0 && me.pss_kb > 0, "{me:?}");
        assert!(cpu_seconds(std::process::id()) >= 0.0);
    }
}
