//! A mask as runs: the set pixels of each row as (row, first column, end column), found 64
//! pixels at a time.

/// A run of set pixels in one row: (row, first column, end column).
pub(super) type Run = (usize, usize, usize);

/// The runs of set pixels, row by row, and the index of each row's first run (one more entry
/// at the end). `block_bits` gives the pixels of up to 64 of a row as the bits of a word
/// (pixel `i` in bit `i`, the bits past the block's end clear): [`above_bits`] for a
/// probability map.
pub(super) fn runs_of<'a, T: 'a>(
    rows: impl Iterator<Item = &'a [T]>,
    block_bits: impl Fn(&[T]) -> u64,
) -> (Vec<Run>, Vec<usize>) {
    let mut runs: Vec<Run> = Vec::new();
    let mut row_start = Vec::new();
    for (y, row) in rows.enumerate() {
        row_start.push(runs.len());
        // 64 pixels at a time: a block all in or all out (most of a mask) goes whole, a mixed
        // one by the bits where a run starts or ends.
        let mut open: Option<usize> = None;
        for (c, chunk) in row.chunks(64).enumerate() {
            let (base, n) = (c * 64, chunk.len());
            let bits = block_bits(chunk);
            let full = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
            if bits == 0 {
                if let Some(x0) = open.take() {
                    runs.push((y, x0, base));
                }
                continue;
            }
            if bits == full {
                open.get_or_insert(base);
                continue;
            }
            // Each pixel's left neighbour (the block before's last pixel for the first).
            let before = (bits << 1) | u64::from(open.is_some());
            let mut starts = bits & !before;
            let mut ends = !bits & before & full;
            while starts | ends != 0 {
                let (s, e) = (starts.trailing_zeros(), ends.trailing_zeros());
                if s < e {
                    open = Some(base + s as usize);
                    starts &= starts - 1;
                } else {
                    if let Some(x0) = open.take() {
                        runs.push((y, x0, base + e as usize));
                    }
                    ends &= ends - 1;
                }
            }
        }
        if let Some(x0) = open {
            runs.push((y, x0, row.len()));
        }
    }
    row_start.push(runs.len());
    (runs, row_start)
}

/// Up to 64 probabilities as the bits of a word, a bit set where the probability is above
/// `threshold` (never for NaN): eight compared at once and their signs gathered into a byte
/// (SSE's `cmpps` and `movmsk` on x86-64, NEON on ARM, through `wide`), the rest one by one.
/// The scan reads every pixel: one by one it was a fifth of vectorizing a tile; this way it
/// takes half that time, reading the map from memory most of it.
pub(super) fn above_bits(block: &[f32], threshold: f32) -> u64 {
    let limit = wide::f32x8::splat(threshold);
    let (eights, rest) = block.as_chunks::<8>();
    let whole = block.len() - rest.len();
    let mut bits = 0u64;
    for (k, &eight) in eights.iter().enumerate() {
        let above = wide::f32x8::new(eight).simd_gt(limit).to_bitmask();
        bits |= u64::from(above) << (8 * k);
    }
    for (i, &p) in rest.iter().enumerate() {
        bits |= u64::from(p > threshold) << (whole + i);
    }
    bits
}
