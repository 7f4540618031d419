#!/usr/bin/env python3
"""Odd footprint files of our own for the corpus (tests/corpus/footprints/odd_*): each a class
of what other tools write or a damaged file holds. Standard library only. Run from this folder:
    python3 make_odd_footprints.py
"""
import json
import os

OUT = "footprints"
HEAD = "ImageId,BuildingId,PolygonWKT_Pix,Confidence\n"
SQUARE = "POLYGON ((10 10,40 10,40 40,10 40,10 10))"
UTM = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32631"}}


def feature(coords, props=None, kind="Polygon"):
    return {"type": "Feature", "properties": props or {}, "geometry": {"type": kind, "coordinates": coords}}


def collection(features, crs=UTM):
    out = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        out["crs"] = crs
    return out


def ring(x, y, s=20.0):
    return [[x, y], [x + s, y], [x + s, y - s], [x, y - s], [x, y]]


def main():
    os.makedirs(OUT, exist_ok=True)
    x, y = 595010.0, 5749990.0
    geojson = {
        # positions of one number, of none, rings of two points, no rings, an unclosed ring
        "odd_one_number_positions.geojson": collection([feature([[[x], [x + 1], [x + 2], [x]]])]),
        "odd_empty_positions.geojson": collection([feature([[[], [], [], []]])]),
        "odd_two_point_ring.geojson": collection([feature([[[x, y], [x, y]]])]),
        "odd_no_rings.geojson": collection([feature([])]),
        "odd_unclosed_ring.geojson": collection([feature([ring(x, y)[:-1]])]),
        "odd_bowtie.geojson": collection([feature([[[x, y], [x + 20, y - 20], [x + 20, y], [x, y - 20], [x, y]]])]),
        # coordinates no map has, and a confidence that is not a number
        "odd_huge_coordinates.geojson": collection([feature([[[1e308, 1e308], [1e308, -1e308], [-1e308, 0], [1e308, 1e308]]])]),
        "odd_string_confidence.geojson": collection([feature([ring(x, y)], {"confidence": "high"})]),
        # a CRS nobody knows, and one GeoJSON cannot name
        "odd_unknown_crs.geojson": collection([feature([ring(x, y)])], {"type": "name", "properties": {"name": "EPSG:999999"}}),
        "odd_crs_not_a_name.geojson": collection([feature([ring(x, y)])], {"type": "link", "properties": {"href": "x"}}),
        # pixel coordinates without a crs: read as WGS 84 they are latitudes up to 900
        "odd_pixels_without_crs.geojson": collection([feature([ring(100.0, 900.0, 40)])], crs=None),
        # WGS 84 footprints far from the scene
        "odd_wgs84_elsewhere.geojson": collection([feature([ring(-73.98, 40.75, 0.0002)])], crs=None),
        # geometries that are not polygons, nulls, nothing
        "odd_points_only.geojson": collection([feature([x, y], kind="Point")]),
        "odd_null_geometry.geojson": {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": None}]},
        "odd_empty_collection.geojson": collection([]),
        "odd_bare_geometry.geojson": {"type": "Polygon", "coordinates": [ring(x, y)]},
    }
    for name, value in geojson.items():
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(value, f)
    raw = {
        "odd_nan_coordinates.geojson": '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[NaN,1],[2,2],[3,1],[NaN,1]]]}}]}',
        "odd_truncated.geojson": json.dumps(collection([feature([ring(x, y)])]))[:-17],
        "odd_not_json.geojson": "ImageId,BuildingId\nthis is a CSV\n",
        "odd_nul_bytes.geojson": '{"type":"FeatureCollection",\0"features":[]}',
        "odd_utf16.geojson": None,
        # SpaceNet CSVs
        "odd_nan_confidence.csv": HEAD + f'img,1,"{SQUARE}",NaN\n',
        "odd_inf_confidence.csv": HEAD + f'img,1,"{SQUARE}",inf\n',
        "odd_trailing_wkt.csv": HEAD + f'img,1,"{SQUARE} and more",1\n',
        "odd_nul_in_wkt.csv": HEAD + f'img,1,"{SQUARE}\0",1\n',
        "odd_huge_wkt.csv": HEAD + 'img,1,"POLYGON ((1e308 1e308,1e308 -1e308,-1e308 0,1e308 1e308))",1\n',
        "odd_empty_polygon.csv": HEAD + 'img,1,POLYGON EMPTY,1\n',
        "odd_unclosed_wkt.csv": HEAD + 'img,1,"POLYGON ((10 10,40 10,40 40,10 40))",1\n',
        "odd_unbalanced_wkt.csv": HEAD + 'img,1,"POLYGON ((10 10,40 10,40 40,10 40,10 10)",1\n',
        "odd_point_wkt.csv": HEAD + 'img,1,POINT (1 2),1\n',
        "odd_missing_columns.csv": "ImageId,Polygon\nimg,x\n",
        "odd_short_row.csv": HEAD + "img,1\n",
        "odd_header_only.csv": HEAD,
        "odd_empty.csv": "",
        "odd_bom.csv": "\ufeff" + HEAD + f'img,1,"{SQUARE}",1\n',
        "odd_crlf.csv": HEAD.replace("\n", "\r\n") + f'img,1,"{SQUARE}",1\r\n',
        "odd_unterminated_quote.csv": HEAD + f'img,1,"{SQUARE},1\n',
        "odd_latin1.csv": None,
    }
    for name, text in raw.items():
        path = os.path.join(OUT, name)
        if name == "odd_utf16.geojson":
            with open(path, "wb") as f:
                f.write(json.dumps(collection([feature([ring(x, y)])])).encode("utf-16"))
        elif name == "odd_latin1.csv":
            with open(path, "wb") as f:
                f.write((HEAD + f'caf\xe9,1,"{SQUARE}",1\n').encode("latin-1"))
        else:
            with open(path, "w", newline="") as f:
                f.write(text)


if __name__ == "__main__":
    main()
