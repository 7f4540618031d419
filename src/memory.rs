//! How much memory is free for sarscope: an input that would need more is refused before it is
//! read, with both sizes in the message, instead of the process being killed part-way (or the
//! machine swapping). The figure is Linux's `MemAvailable`, lowered to the room left under the
//! process's cgroup limit when it runs in one (a container, a Slurm job), and to
//! `SARSCOPE_MEMORY_LIMIT` when the user sets it (bytes, or with a K, M or G suffix).

use std::path::Path;

/// Memory a read of `needed` bytes would take beyond what is free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooBig {
    pub needed: u64,
    pub available: u64,
}

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "that needs about {} of memory and {} is free",
            human_bytes(u128::from(self.needed)),
            human_bytes(u128::from(self.available))
        )
    }
}

/// Bytes of memory free for this process now; `None` where that is not known (then nothing
/// is refused).
pub fn available_bytes() -> Option<u64> {
    let user = std::env::var("SARSCOPE_MEMORY_LIMIT")
        .ok()
        .and_then(|v| parse_size(&v));
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| meminfo_available(&text));
    let cgroup = cgroup_room();
    [user, machine, cgroup].into_iter().flatten().min()
}

/// `Ok` when `needed` bytes fit in the memory free.
pub fn check_fits(needed: u64) -> Result<(), TooBig> {
    match available_bytes() {
        Some(available) if needed > available => Err(TooBig { needed, available }),
        _ => Ok(()),
    }
}

/// `Ok` when a file read whole, taking `factor` times its size once parsed, fits.
pub fn check_file_fits(path: &Path, factor: u64) -> Result<(), TooBig> {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    check_fits(len.saturating_mul(factor))
}

/// `MemAvailable` of /proc/meminfo, in bytes.
fn meminfo_available(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The room left under the cgroup (v2) memory limit, if there is one.
fn cgroup_room() -> Option<u64> {
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let rel = own.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = Path::new("/sys/fs/cgroup").join(rel.trim_start_matches('/'));
    let max = std::fs::read_to_string(dir.join("memory.max")).ok()?;
    let max: u64 = max.trim().parse().ok()?; // "max": no limit
    let current: u64 = std::fs::read_to_string(dir.join("memory.current"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(max.saturating_sub(current))
}

/// "512M", "2G", "1048576" -> bytes.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let n: u64 = digits.parse().ok()?;
    let k = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(k)
}

/// `1536` -> `"1.5 KiB"`: sizes in messages a person reads.
pub fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS.get(unit).copied().unwrap_or("B"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_picks_a_readable_unit() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(4 * 1024u128.pow(4)), "4.0 TiB");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("3 KiB"), Some(3 << 10));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("5T"), None);
    }

    #[test]
    fn meminfo_gives_the_available_line() {
        let text = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   12000000 kB\n";
        assert_eq!(meminfo_available(text), Some(12_000_000 * 1024));
        assert_eq!(meminfo_available("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn this_machine_has_some_memory_free() {
        let free = available_bytes().expect("Linux says what is free");
        assert!(free > 16 << 20, "{free}");
        assert!(check_fits(u64::MAX).is_err());
        assert!(check_fits(1).is_ok());
    }
}
