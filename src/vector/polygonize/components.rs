//! Runs grouped into 4-connected components.

use super::runs::Run;

/// Runs grouped into 4-connected components (a union-find: a run joins every run above it
/// that it overlaps), components in raster order of their first run, each one's runs in
/// raster order.
pub(super) fn group_runs(runs: &[Run], row_start: &[usize]) -> Vec<Vec<Run>> {
    group_runs_by(runs, row_start, |_, _| true)
}

/// [`group_runs`], joining a run to one above it that it overlaps only where `same(run, above)`
/// (indices into `runs`) says they belong together (runs of one label).
pub(super) fn group_runs_by(
    runs: &[Run],
    row_start: &[usize],
    same: impl Fn(usize, usize) -> bool,
) -> Vec<Vec<Run>> {
    let mut parent: Vec<usize> = (0..runs.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while let Some(&p) = parent.get(i) {
            if p == i {
                break;
            }
            let grand = parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(i) {
                *slot = grand;
            }
            i = p;
        }
        i
    }
    let rows = row_start.len().saturating_sub(1);
    for y in 1..rows {
        let (above, here) = (
            row_start.get(y - 1).copied().unwrap_or(0)..row_start.get(y).copied().unwrap_or(0),
            row_start.get(y).copied().unwrap_or(0)..row_start.get(y + 1).copied().unwrap_or(0),
        );
        let mut a = above.start;
        for r in here {
            let Some(&(_, x0, x1)) = runs.get(r) else {
                continue;
            };
            while let Some(&(_, _, ax1)) = runs.get(a) {
                if a >= above.end || ax1 > x0 {
                    break;
                }
                a += 1; // this run above ends before ours starts
            }
            let mut b = a;
            while b < above.end {
                let Some(&(_, bx0, bx1)) = runs.get(b) else {
                    break;
                };
                if bx0 >= x1 {
                    break;
                }
                let (ra, rb) = (root(&mut parent, r), root(&mut parent, b));
                if ra != rb && same(r, b) {
                    // Keep the earlier run as the root, so roots follow raster order.
                    let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
                    if let Some(slot) = parent.get_mut(hi) {
                        *slot = lo;
                    }
                }
                if bx1 > x1 {
                    break; // it may also touch our next run
                }
                b += 1;
            }
        }
    }
    let mut groups: Vec<Vec<Run>> = Vec::new();
    let mut group_of_root: Vec<usize> = vec![usize::MAX; runs.len()];
    for (r, &run) in runs.iter().enumerate() {
        let rt = root(&mut parent, r);
        let slot = group_of_root.get(rt).copied().unwrap_or(usize::MAX);
        let g = if slot == usize::MAX {
            groups.push(Vec::new());
            let g = groups.len() - 1;
            if let Some(s) = group_of_root.get_mut(rt) {
                *s = g;
            }
            g
        } else {
            slot
        };
        if let Some(group) = groups.get_mut(g) {
            group.push(run);
        }
    }
    groups
}
