//! Where a run's CPU went, from Linux's `/proc`: the whole process, its
//! recorder thread, and wrk (a child the bench waits for), so that the
//! bench says what each call costs and who pays for it, not only how many
//! calls were made.

use std::path::Path;

/// `/proc`'s clock ticks a second (`USER_HZ`: 100 on every Linux kernel
/// built for the architectures this runs on).
const TICKS_PER_SECOND: f64 = 100.0;

/// The recorder thread's name as `/proc` shows it (15 bytes at most).
const RECORDER: &str = "rongshu-recorde";

/// CPU ticks (user and system) used so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct CpuTicks {
    process: u64,
    recorder: u64,
    children: u64,
}

/// CPU microseconds a call, split by who spent them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct CpuPerCall {
    pub process: f64,
    pub recorder: f64,
    pub wrk: f64,
}

/// The comm and the fields after it of a `stat` line (`pid (comm) state …`).
fn stat_fields(stat: &str) -> Option<(&str, Vec<&str>)> {
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1;
    Some((comm, rest.split_whitespace().collect()))
}

/// Field `n` (1-based, as `man 5 proc` numbers them) of a `stat` line.
fn field(fields: &[&str], n: usize) -> Option<u64> {
    fields.get(n.checked_sub(3)?)?.parse().ok()
}

/// utime + stime (fields 14 and 15) and cutime + cstime (16 and 17).
fn own_and_children(stat: &str) -> Option<(&str, u64, u64)> {
    let (comm, fields) = stat_fields(stat)?;
    let own = field(&fields, 14)? + field(&fields, 15)?;
    let children = field(&fields, 16)? + field(&fields, 17)?;
    Some((comm, own, children))
}

/// The ticks used so far, or `None` where there is no `/proc`.
pub(super) fn sample() -> Option<CpuTicks> {
    let (_, process, children) =
        own_and_children(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    let recorder = std::fs::read_dir(Path::new("/proc/self/task"))
        .ok()?
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("stat")).ok())
        .filter_map(|stat| {
            let (comm, own, _) = own_and_children(&stat)?;
            (comm == RECORDER).then_some(own)
        })
        .sum();
    Some(CpuTicks {
        process,
        recorder,
        children,
    })
}

impl CpuTicks {
    /// What was spent between `self` and `later`, per call of `calls`.
    pub(super) fn per_call(self, later: CpuTicks, calls: u64) -> CpuPerCall {
        let micros = |before: u64, after: u64| {
            after.saturating_sub(before) as f64 / TICKS_PER_SECOND * 1e6 / calls.max(1) as f64
        };
        CpuPerCall {
            process: micros(self.process, later.process),
            recorder: micros(self.recorder, later.recorder),
            wrk: micros(self.children, later.children),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_are_read_past_a_comm_with_spaces_and_parentheses() {
        let stat = "4242 (tokio (rt) w) S 1 2 3 0 -1 4194560 100 0 0 0 250 75 12 8 20 0 4 0 99";
        assert_eq!(own_and_children(stat), Some(("tokio (rt) w", 325, 20)));
        assert_eq!(own_and_children("4242 (short) S 1"), None);
    }

    #[test]
    fn ticks_become_microseconds_a_call() {
        let before = CpuTicks {
            process: 100,
            recorder: 10,
            children: 50,
        };
        let after = CpuTicks {
            process: 400,
            recorder: 110,
            children: 150,
        };
        // 3 s of the process over 100,000 calls: 30 µs a call.
        let cpu = before.per_call(after, 100_000);
        assert_eq!((cpu.process, cpu.recorder, cpu.wrk), (30.0, 10.0, 10.0));
    }

    #[test]
    fn this_process_is_seen() {
        // Linux only, like the bench: this test process has a stat line.
        let ticks = sample().expect("/proc/self/stat");
        assert_eq!(ticks.recorder, 0);
    }
}
