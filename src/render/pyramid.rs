//! The tiled pyramid for scenes too large for one texture: which tiles of which level cover
//! the view (how many stay resident is bounded by [`crate::lru::LruCache`]).
//!
//! Level `l` has tiles of [`TILE`] x [`TILE`] texels, each covering `TILE << l` scene pixels a
//! side (level 0 is full resolution). The level for a view is the coarsest whose texels are
//! still no larger than a screen pixel.
//!
//! ```
//! use sarscope::render::pyramid::{TileKey, level_for, visible_tiles};
//! // 4 scene pixels per screen pixel: level 2, each tile covers 2048 px.
//! assert_eq!(level_for(4.0, 6), 2);
//! let tiles = visible_tiles(2, [0.0, 0.0, 4000.0, 1000.0], (20_000, 20_000));
//! assert_eq!(tiles, vec![TileKey { level: 2, col: 0, row: 0 }, TileKey { level: 2, col: 1, row: 0 }]);
//! ```

use std::hash::Hash;

/// Texels a tile has on a side.
pub const TILE: usize = 512;

/// One tile of the pyramid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileKey {
    pub level: u32,
    pub col: u32,
    pub row: u32,
}

/// "the tile at x 5632-6143, y 5632-6143" (scene pixels), "..., 1:4" below full resolution.
impl std::fmt::Display for TileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let span = self.span();
        let (x, y) = (self.col as usize * span, self.row as usize * span);
        write!(
            f,
            "the tile at x {x}-{}, y {y}-{}",
            x + span - 1,
            y + span - 1
        )?;
        if self.level > 0 {
            write!(f, ", 1:{}", 1usize << self.level)?;
        }
        Ok(())
    }
}

impl TileKey {
    /// Scene pixels a tile of this level covers on a side.
    pub fn span(self) -> usize {
        TILE << self.level
    }

    /// The part of the scene (x, y, width, height in scene pixels) this tile covers, clipped
    /// to a scene of `size`.
    pub fn window(self, size: (usize, usize)) -> (usize, usize, usize, usize) {
        let span = self.span();
        let x = self.col as usize * span;
        let y = self.row as usize * span;
        let w = span.min(size.0.saturating_sub(x));
        let h = span.min(size.1.saturating_sub(y));
        (x, y, w, h)
    }

    /// The tile's texture size: its window at 1 / 2^level, at least one texel.
    pub fn texels(self, size: (usize, usize)) -> (usize, usize) {
        let (_, _, w, h) = self.window(size);
        let f = 1usize << self.level;
        (w.div_ceil(f).max(1), h.div_ceil(f).max(1))
    }

    /// The tile one level up that contains this one.
    pub fn parent(self) -> Self {
        Self {
            level: self.level + 1,
            col: self.col / 2,
            row: self.row / 2,
        }
    }
}

/// The coarsest level whose texels are at most one screen pixel (`scene_per_screen` scene
/// pixels per screen pixel), up to `max_level`.
pub fn level_for(scene_per_screen: f32, max_level: u32) -> u32 {
    if scene_per_screen.is_nan() || scene_per_screen <= 1.0 {
        return 0;
    }
    (scene_per_screen.log2().floor() as u32).min(max_level)
}

/// The level at which one tile holds the whole scene.
pub fn top_level(size: (usize, usize)) -> u32 {
    let mut level = 0;
    while (TILE << level) < size.0.max(size.1) {
        level += 1;
    }
    level
}

/// Tiles of `level` that intersect `view` = [x0, y0, x1, y1] in scene pixels, row by row.
pub fn visible_tiles(level: u32, view: [f32; 4], size: (usize, usize)) -> Vec<TileKey> {
    let span = (TILE << level) as f32;
    let cols = size.0.div_ceil(TILE << level) as i64;
    let rows = size.1.div_ceil(TILE << level) as i64;
    let c0 = ((view[0] / span).floor() as i64).max(0);
    let r0 = ((view[1] / span).floor() as i64).max(0);
    let c1 = ((view[2] / span).ceil() as i64).min(cols);
    let r1 = ((view[3] / span).ceil() as i64).min(rows);
    let mut out = Vec::new();
    for row in r0..r1 {
        for col in c0..c1 {
            out.push(TileKey {
                level,
                col: col as u32,
                row: row as u32,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_scene_once_per_level() {
        let size = (20_000, 15_000);
        assert_eq!(top_level(size), 6); // 512 << 6 = 32768 >= 20000
        for level in 0..=top_level(size) {
            let tiles = visible_tiles(level, [0.0, 0.0, 20_000.0, 15_000.0], size);
            let area: usize = tiles
                .iter()
                .map(|t| {
                    let (_, _, w, h) = t.window(size);
                    w * h
                })
                .sum();
            assert_eq!(area, 20_000 * 15_000, "level {level}");
            for t in &tiles {
                let (tw, th) = t.texels(size);
                assert!(tw <= TILE && th <= TILE);
            }
        }
        let last = TileKey {
            level: 0,
            col: 39,
            row: 29,
        };
        assert_eq!(last.window(size), (19_968, 14_848, 32, 152));
        assert_eq!(
            last.parent().parent(),
            TileKey {
                level: 2,
                col: 9,
                row: 7
            }
        );
    }

    #[test]
    fn levels_follow_the_zoom() {
        assert_eq!(level_for(0.25, 6), 0);
        assert_eq!(level_for(1.0, 6), 0);
        assert_eq!(level_for(1.9, 6), 0);
        assert_eq!(level_for(2.0, 6), 1);
        assert_eq!(level_for(1000.0, 6), 6);
        assert_eq!(level_for(f32::NAN, 6), 0);
        // A view outside the scene has no tiles.
        assert!(visible_tiles(0, [-900.0, -900.0, -10.0, -10.0], (1000, 1000)).is_empty());
    }
}
