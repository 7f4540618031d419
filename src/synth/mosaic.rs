//! Very large test scenes without the disk they would take: a GDAL VRT that repeats one tile
//! on a grid (a 23 x 23 mosaic of the 900 px demo tile is a 20,700 x 20,700 px, 4-band
//! float32 scene: 6.9 GB of pixels that are never written).

use std::fmt::Write as _;
use std::path::Path;

use super::SynthError;

/// Writes `out` (a `.vrt`) repeating the GeoTIFF `tile` (`tile_size` px, `bands` float32
/// bands) `copies` x `copies` times, with the tile's geotransform origin and pixel size and
/// its CRS. GDAL reads zoomed-out windows from the tile's overviews when it has them.
pub fn write_mosaic_vrt(
    tile: &Path,
    tile_size: (usize, usize),
    bands: usize,
    copies: usize,
    geo_transform: Option<[f64; 6]>,
    epsg: Option<u32>,
    out: &Path,
) -> Result<(), SynthError> {
    let mut xml = String::new();
    if let Some(gt) = geo_transform {
        let gt: Vec<String> = gt.iter().map(|v| format!("{v:.10e}")).collect();
        let _ = writeln!(xml, "  <GeoTransform>{}</GeoTransform>", gt.join(", "));
    }
    if let Some(e) = epsg {
        let _ = writeln!(xml, "  <SRS>EPSG:{e}</SRS>");
    }
    let mosaic = Mosaic {
        tile,
        tile_size,
        copies,
        data_type: "Float32",
    };
    mosaic.write(&xml, bands, out)
}

/// Writes `out` (a `.vrt`) repeating the single-band complex (SLC) GeoTIFF `tile` `copies` x
/// `copies` times as one CFloat32 band, with the tile's calibration factor (Capella's
/// `scale_factor`, in the description as Capella writes it) and without georeferencing: a
/// complex polarization of any size. Returns the mosaic's size.
pub fn write_complex_mosaic_vrt(
    tile: &Path,
    copies: usize,
    out: &Path,
) -> Result<(usize, usize), SynthError> {
    let scene = crate::raster::Scene::open(tile)?;
    let tile_size = (scene.width(), scene.height());
    let band = scene.bands().first().filter(|_| scene.is_complex(0));
    let Some(band) = band else {
        return Err(crate::raster::RasterError::Invalid {
            what: tile.display().to_string(),
            reason: "a complex mosaic is made of a complex band".into(),
        }
        .into());
    };
    let mut xml = String::new();
    if let Some(scale) = band.complex.and_then(|c| c.scale) {
        let _ = writeln!(
            xml,
            "  <Metadata><MDI key=\"TIFFTAG_IMAGEDESCRIPTION\">\
             {{&quot;collect&quot;: {{&quot;image&quot;: {{&quot;scale_factor&quot;: {scale:e}}}}}}}\
             </MDI></Metadata>"
        );
    }
    let mosaic = Mosaic {
        tile,
        tile_size,
        copies,
        data_type: "CFloat32",
    };
    mosaic.write(&xml, 1, out)?;
    Ok((tile_size.0 * copies, tile_size.1 * copies))
}

/// A grid of copies of one file's bands.
struct Mosaic<'a> {
    tile: &'a Path,
    tile_size: (usize, usize),
    copies: usize,
    data_type: &'a str,
}

impl Mosaic<'_> {
    /// Writes the VRT of `bands` bands to `out`, `head` (its georeferencing and metadata)
    /// before them.
    fn write(&self, head: &str, bands: usize, out: &Path) -> Result<(), SynthError> {
        let (tw, th) = self.tile_size;
        let (w, h) = (tw * self.copies, th * self.copies);
        let mut xml = format!("<VRTDataset rasterXSize=\"{w}\" rasterYSize=\"{h}\">\n");
        xml.push_str(head);
        let source = self.tile.display().to_string();
        let data_type = self.data_type;
        for band in 1..=bands {
            let _ = writeln!(
                xml,
                "  <VRTRasterBand dataType=\"{data_type}\" band=\"{band}\">"
            );
            for row in 0..self.copies {
                for col in 0..self.copies {
                    let _ = writeln!(
                        xml,
                        "    <SimpleSource><SourceFilename relativeToVRT=\"0\">{source}</SourceFilename>\
                         <SourceBand>{band}</SourceBand>\
                         <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"{tw}\" ySize=\"{th}\"/>\
                         <DstRect xOff=\"{}\" yOff=\"{}\" xSize=\"{tw}\" ySize=\"{th}\"/></SimpleSource>",
                        col * tw,
                        row * th
                    );
                }
            }
            xml.push_str("  </VRTRasterBand>\n");
        }
        xml.push_str("</VRTDataset>\n");
        std::fs::write(out, xml).map_err(|error| SynthError::Write {
            path: out.to_path_buf(),
            error,
        })
    }
}
