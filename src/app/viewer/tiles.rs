//! The tiles of a large scene on their way to the GPU: the reader thread asked for the tiles
//! the panes need (of the scene's bands, or of a product shown in their place), the tiles it
//! finished uploaded, and the counts the status bar and the benches read.

use std::path::PathBuf;

use eframe::egui;
use eframe::egui_wgpu;

use crate::app::gpu::{install_tile, tiles_resident};
use crate::render::pyramid::TileKey;
use crate::session::{TileReader, TileSource, TileTexels};

#[derive(Default)]
pub struct TileStream {
    /// The reader of the scene's tiles, started at the first frame that needs one.
    reader: Option<TileReader>,
    /// What the tiles are made of; `None`: the scene's bands in the overview's channels.
    source: Option<TileSource>,
    /// Tiles uploaded so far (every scene drawn from a pyramid since the viewer started).
    uploads: usize,
    /// Tiles on the GPU after the last frame.
    on_gpu: usize,
}

impl TileStream {
    /// The stream for a new scene: no reader yet, the upload count goes on.
    pub fn next_scene(&self) -> Self {
        Self {
            uploads: self.uploads,
            ..Self::default()
        }
    }

    /// The stream of tiles made of `source` from now on (the reader of the last source and
    /// what it was making go; the GPU's tiles went with the overview they belonged to).
    pub fn with_source(&self, source: TileSource) -> Self {
        Self {
            uploads: self.uploads,
            source: Some(source),
            ..Self::default()
        }
    }

    /// Tiles uploaded so far and tiles on the GPU now.
    pub fn counts(&self) -> (usize, usize) {
        (self.uploads, self.on_gpu)
    }

    /// What GDAL has said about the scene's files while its tiles were read.
    pub fn gdal_notes(&self) -> Vec<crate::raster::GdalNote> {
        self.reader
            .as_ref()
            .map(TileReader::gdal_notes)
            .unwrap_or_default()
    }

    /// Asks the reader for `key` (it skips tiles already under way).
    pub fn request(&mut self, key: TileKey) {
        if let Some(reader) = &mut self.reader {
            reader.request(key);
        }
    }

    /// Uploads the tiles the reader has finished (starting it for the scene of `files`, `size`
    /// pixels, channels from bands `order` unless the stream has a source, the first time).
    /// Returns why the last tile that failed could not be read or uploaded, and the texels of
    /// the tiles uploaded.
    pub fn receive(
        &mut self,
        ctx: &egui::Context,
        render: &egui_wgpu::RenderState,
        files: &[PathBuf],
        size: (usize, usize),
        order: [usize; 4],
    ) -> (Option<String>, Vec<(TileKey, TileTexels)>) {
        let source = self.source.clone();
        let reader = self.reader.get_or_insert_with(|| {
            let ctx = ctx.clone();
            let source = source.unwrap_or(TileSource::Bands(order));
            TileReader::new(files.to_vec(), size, source, move || ctx.request_repaint())
        });
        let mut failed = None;
        let mut uploaded = Vec::new();
        for (key, result) in reader.finished() {
            let installed = match result {
                Ok(texels) => install_tile(render, key, &texels.0, texels.1, texels.2)
                    .map(|()| texels)
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match installed {
                Ok(texels) => {
                    self.uploads += 1;
                    uploaded.push((key, texels));
                }
                Err(e) => failed = Some(format!("{key}: {e}")),
            }
        }
        self.on_gpu = tiles_resident(render);
        (failed, uploaded)
    }
}
