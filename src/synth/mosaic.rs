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
    let (tw, th) = tile_size;
    let (w, h) = (tw * copies, th * copies);
    let mut xml = format!("<VRTDataset rasterXSize=\"{w}\" rasterYSize=\"{h}\">\n");
    if let Some(gt) = geo_transform {
        let gt: Vec<String> = gt.iter().map(|v| format!("{v:.10e}")).collect();
        let _ = writeln!(xml, "  <GeoTransform>{}</GeoTransform>", gt.join(", "));
    }
    if let Some(e) = epsg {
        let _ = writeln!(xml, "  <SRS>EPSG:{e}</SRS>");
    }
    let source = tile.display().to_string();
    for band in 1..=bands {
        let _ = writeln!(
            xml,
            "  <VRTRasterBand dataType=\"Float32\" band=\"{band}\">"
        );
        for row in 0..copies {
            for col in 0..copies {
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
