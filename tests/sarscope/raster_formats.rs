//! Data types and layouts the raster layer must read, in files made here through GDAL.

use std::path::Path;

use gdal::raster::{Buffer, GdalType, RasterCreationOptions};
use gdal::{DriverManager, Metadata};
use sarscope::raster::{Polarization, RoleSource, Scene};

const W: usize = 17;
const H: usize = 11;

/// A small integer pattern that every tested type holds exactly.
fn value(band: usize, x: usize, y: usize) -> u8 {
    (band * 31 + y * 7 + x) as u8
}

fn make_file<T: GdalType + Copy + From<u8>>(path: &Path, interleave: &str, nodata: Option<f64>) {
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut options = RasterCreationOptions::new();
    options.set_name_value("INTERLEAVE", interleave).unwrap();
    let ds = driver
        .create_with_band_type_with_options::<T, _>(path, W, H, 3, &options)
        .unwrap();
    for b in 0..3 {
        let data: Vec<T> = (0..W * H)
            .map(|i| T::from(value(b, i % W, i / W)))
            .collect();
        let mut band = ds.rasterband(b + 1).unwrap();
        band.set_no_data_value(nodata).unwrap();
        band.write((0, 0), (W, H), &mut Buffer::new((W, H), data))
            .unwrap();
    }
    ds.close().unwrap();
}

fn check(path: &Path, type_name: &str, nodata: Option<f64>) {
    let scene = Scene::open(path).unwrap();
    assert_eq!(
        (scene.width(), scene.height(), scene.band_count()),
        (W, H, 3)
    );
    let planes = scene.read_full().unwrap();
    for (b, info) in scene.bands().iter().enumerate() {
        assert_eq!(info.stored_type, type_name, "{}", path.display());
        assert_eq!(info.nodata, nodata);
        for y in 0..H {
            for x in 0..W {
                assert_eq!(
                    planes.get(b, x, y),
                    Some(f32::from(value(b, x, y))),
                    "{type_name} b{b} ({x},{y})"
                );
            }
        }
    }
    // Band 1 holds the nodata value 7 at (0, 1) and (7, 0): those pixels are invalid.
    if nodata.is_some() {
        assert!(!planes.valid[W] && !planes.valid[7]);
        assert_eq!(planes.valid_count(), W * H - 2);
        assert_eq!(scene.stats().unwrap()[0].nodata, 2);
    } else {
        assert_eq!(planes.valid_count(), W * H);
    }
}

#[test]
fn real_types_in_both_layouts_read_as_float32() {
    let dir = tempfile::tempdir().unwrap();
    for interleave in ["PIXEL", "BAND"] {
        let p = |name: &str| dir.path().join(format!("{name}_{interleave}.tif"));
        make_file::<f32>(&p("f32"), interleave, Some(7.0));
        check(&p("f32"), "Float32", Some(7.0));
        make_file::<f64>(&p("f64"), interleave, None);
        check(&p("f64"), "Float64", None);
        make_file::<u8>(&p("u8"), interleave, Some(7.0));
        check(&p("u8"), "Byte", Some(7.0));
        make_file::<u16>(&p("u16"), interleave, None);
        check(&p("u16"), "UInt16", None);
        make_file::<i16>(&p("i16"), interleave, Some(7.0));
        check(&p("i16"), "Int16", Some(7.0));
    }
}

/// A CInt16 band as GDAL sees one in an SLC product: raw interleaved (re, im) int16 pairs
/// described by a VRT, with a Capella-style scale factor in its metadata when `scale` is set.
fn make_cint16(dir: &Path, scale: Option<f64>) -> std::path::PathBuf {
    let mut raw = Vec::new();
    for y in 0..H {
        for x in 0..W {
            let (re, im) = (x as i16 - 8, 3 - y as i16);
            raw.extend_from_slice(&re.to_le_bytes());
            raw.extend_from_slice(&im.to_le_bytes());
        }
    }
    std::fs::write(dir.join("slc.raw"), raw).unwrap();
    let metadata = scale.map_or(String::new(), |s| {
        format!(
            "<Metadata><MDI key=\"TIFFTAG_IMAGEDESCRIPTION\">{{\"collect\": {{\"image\": \
             {{\"scale_factor\": {s}}}}}}}</MDI></Metadata>"
        )
    });
    let vrt = format!(
        "<VRTDataset rasterXSize=\"{W}\" rasterYSize=\"{H}\">{metadata}\
         <VRTRasterBand dataType=\"CInt16\" band=\"1\" subClass=\"VRTRawRasterBand\">\
         <SourceFilename relativeToVRT=\"1\">slc.raw</SourceFilename>\
         <ImageOffset>0</ImageOffset><PixelOffset>4</PixelOffset>\
         <LineOffset>{}</LineOffset><ByteOrder>LSB</ByteOrder></VRTRasterBand></VRTDataset>",
        W * 4
    );
    let path = dir.join(if scale.is_some() {
        "slc_scaled.vrt"
    } else {
        "slc.vrt"
    });
    std::fs::write(&path, vrt).unwrap();
    path
}

#[test]
fn complex_int16_becomes_intensity_with_and_without_a_scale_factor() {
    // Reading must not create files in the working folder (GDAL resolves a raw VRT's data file
    // against the folder of whatever VRT refers to it).
    let stray = std::path::Path::new("slc.raw");
    let stray_before = stray.exists();
    let dir = tempfile::tempdir().unwrap();
    for scale in [None, Some(0.25)] {
        let path = make_cint16(dir.path(), scale);
        let scene = Scene::open(&path).unwrap();
        let band = &scene.bands()[0];
        assert_eq!(band.stored_type, "CInt16");
        assert_eq!(band.complex.map(|c| c.scale), Some(scale));
        let planes = scene.read_full().unwrap();
        let k = scale.map_or(1.0, |s| s * s);
        for y in 0..H {
            for x in 0..W {
                let (re, im) = (x as f64 - 8.0, 3.0 - y as f64);
                let want = ((re * re + im * im) * k) as f32;
                assert_eq!(planes.get(0, x, y), Some(want), "({x},{y}) scale {scale:?}");
            }
        }
    }
    assert!(stray_before || !stray.exists(), "reading created ./slc.raw");
}

#[test]
fn band_descriptions_name_the_polarizations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dual.tif");
    let driver = DriverManager::get_driver_by_name("GTiff").unwrap();
    let ds = driver
        .create_with_band_type::<f32, _>(&path, 8, 8, 2)
        .unwrap();
    for (i, name) in ["Sigma0_VV", "Sigma0_VH"].iter().enumerate() {
        ds.rasterband(i + 1).unwrap().set_description(name).unwrap();
    }
    ds.close().unwrap();
    let scene = Scene::open(&path).unwrap();
    let roles: Vec<_> = scene
        .bands()
        .iter()
        .map(|b| (b.role, b.role_source))
        .collect();
    assert_eq!(
        roles,
        vec![
            (Some(Polarization::VV), Some(RoleSource::Metadata)),
            (Some(Polarization::VH), Some(RoleSource::Metadata))
        ]
    );
    assert_eq!(scene.bands()[0].name, "Sigma0_VV");
    assert!(!scene.is_quad_pol());
}
