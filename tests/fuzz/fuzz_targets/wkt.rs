//! The WKT polygon parser (SpaceNet's PolygonWKT_Pix field).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(polygons) = sarscope::io::parse_polygon_wkt(text)
    {
        // What was read writes back and reads again as the same polygons.
        let again = sarscope::io::multipolygon_wkt(&polygons);
        match sarscope::io::parse_polygon_wkt(&again) {
            Ok(back) => assert_eq!(back, polygons, "WKT round trip of {text:?}"),
            Err(e) => panic!("our own WKT {again:?} of {text:?} does not parse: {e}"),
        }
    }
});
