//! Finding the area (grid, community, street) a point lies in, from the boundary
//! polygons of the district (GeoJSON, WGS84). The smallest containing area wins, so a
//! point inside a grid finds the grid rather than its street.
//!
//! The spatial index is a uniform bucket grid over the district's bounding box: each
//! bucket lists the areas whose bounding box touches it, smallest first, so a lookup
//! tests only the few polygons near the point.

use serde_json::Value;
use yiwang_core::appeal::Point;
use yiwang_core::id::UnitCode;

#[derive(Debug, Clone)]
struct Area {
    unit: UnitCode,
    /// Polygons, each a list of rings (exterior first, then holes).
    polygons: Vec<Vec<Vec<[f64; 2]>>>,
    bbox: [f64; 4],
    area: f64,
}

#[derive(Debug, Clone, Default)]
pub struct AreaIndex {
    areas: Vec<Area>,
    bbox: [f64; 4],
    side: usize,
    buckets: Vec<Vec<u32>>,
}

fn ring(v: &Value) -> Result<Vec<[f64; 2]>, String> {
    v.as_array()
        .ok_or("ring is not an array")?
        .iter()
        .map(|p| match p.as_array().map(|a| a.as_slice()) {
            Some([x, y, ..]) => Ok([x.as_f64().ok_or("bad coordinate")?, y.as_f64().ok_or("bad coordinate")?]),
            _ => Err("position is not [lon, lat]".to_owned()),
        })
        .collect()
}

fn polygon(v: &Value) -> Result<Vec<Vec<[f64; 2]>>, String> {
    v.as_array().ok_or("polygon is not an array")?.iter().map(ring).collect()
}

/// Shoelace area of a ring in square degrees; only used to compare areas.
fn ring_area(r: &[[f64; 2]]) -> f64 {
    let n = r.len();
    (0..n).map(|i| r[i][0] * r[(i + 1) % n][1] - r[(i + 1) % n][0] * r[i][1]).sum::<f64>().abs() / 2.0
}

/// Even-odd ray casting.
fn in_ring(p: [f64; 2], r: &[[f64; 2]]) -> bool {
    let mut inside = false;
    let n = r.len();
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let (a, b) = (r[i], r[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
        j = i;
    }
    inside
}

impl AreaIndex {
    /// Builds the index from (unit, GeoJSON geometry) pairs; Polygon and MultiPolygon.
    pub fn from_geojson(items: &[(UnitCode, String)]) -> Result<Self, String> {
        let mut areas = vec![];
        for (unit, text) in items {
            let g: Value = serde_json::from_str(text).map_err(|e| format!("{unit}: {e}"))?;
            let coords = &g["coordinates"];
            let polygons = match g["type"].as_str() {
                Some("Polygon") => vec![polygon(coords)?],
                Some("MultiPolygon") => coords
                    .as_array()
                    .ok_or("MultiPolygon without coordinates")?
                    .iter()
                    .map(polygon)
                    .collect::<Result<_, _>>()?,
                other => return Err(format!("{unit}: geometry type {other:?} is not a Polygon or MultiPolygon")),
            };
            let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
            let mut area = 0.0;
            for poly in &polygons {
                let ext = poly.first().ok_or(format!("{unit}: polygon without rings"))?;
                if ext.len() < 4 {
                    return Err(format!("{unit}: a ring needs at least 4 positions"));
                }
                for p in ext {
                    bbox = [bbox[0].min(p[0]), bbox[1].min(p[1]), bbox[2].max(p[0]), bbox[3].max(p[1])];
                }
                area += ring_area(ext) - poly[1..].iter().map(|h| ring_area(h)).sum::<f64>();
            }
            areas.push(Area { unit: unit.clone(), polygons, bbox, area });
        }
        // Smallest first, so the first hit is the most precise area.
        areas.sort_by(|a, b| a.area.total_cmp(&b.area));
        Ok(Self::indexed(areas))
    }

    fn indexed(areas: Vec<Area>) -> Self {
        if areas.is_empty() {
            return AreaIndex::default();
        }
        let bbox = areas.iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, a| {
            [b[0].min(a.bbox[0]), b[1].min(a.bbox[1]), b[2].max(a.bbox[2]), b[3].max(a.bbox[3])]
        });
        // About four buckets per area, so each holds a handful of polygons.
        let side = ((areas.len() as f64).sqrt().ceil() as usize * 2).clamp(1, 512);
        let mut idx = AreaIndex { areas: vec![], bbox, side, buckets: vec![vec![]; side * side] };
        for (i, a) in areas.iter().enumerate() {
            let (c0, r0) = idx.cell(a.bbox[0], a.bbox[1]);
            let (c1, r1) = idx.cell(a.bbox[2], a.bbox[3]);
            for r in r0..=r1 {
                for c in c0..=c1 {
                    idx.buckets[r * side + c].push(i as u32);
                }
            }
        }
        idx.areas = areas;
        idx
    }

    fn cell(&self, lon: f64, lat: f64) -> (usize, usize) {
        let b = self.bbox;
        let f = |v: f64, lo: f64, hi: f64| {
            (((v - lo) / (hi - lo).max(1e-12) * self.side as f64) as usize).min(self.side - 1)
        };
        (f(lon, b[0], b[2]), f(lat, b[1], b[3]))
    }

    /// The smallest area containing the point.
    pub fn locate(&self, p: Point) -> Option<&UnitCode> {
        let q = [p.lon, p.lat];
        let b = self.bbox;
        if self.areas.is_empty() || q[0] < b[0] || q[0] > b[2] || q[1] < b[1] || q[1] > b[3] {
            return None;
        }
        let (c, r) = self.cell(q[0], q[1]);
        // Bucket entries are in area order (smallest first).
        self.buckets[r * self.side + c]
            .iter()
            .map(|i| &self.areas[*i as usize])
            .filter(|a| q[0] >= a.bbox[0] && q[0] <= a.bbox[2] && q[1] >= a.bbox[1] && q[1] <= a.bbox[3])
            .find(|a| a.polygons.iter().any(|poly| in_ring(q, &poly[0]) && !poly[1..].iter().any(|h| in_ring(q, h))))
            .map(|a| &a.unit)
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Every area with its exterior rings, for drawing maps.
    pub fn shapes(&self) -> impl Iterator<Item = (&UnitCode, Vec<&[[f64; 2]]>)> {
        self.areas.iter().map(|a| (&a.unit, a.polygons.iter().map(|p| p[0].as_slice()).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_containing_area_is_found() {
        let street = r#"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]]]}"#;
        let grid = r#"{"type":"Polygon","coordinates":[[[0,0],[5,0],[5,5],[0,5],[0,0]]]}"#;
        let idx = AreaIndex::from_geojson(&[
            (UnitCode::parse("street").unwrap(), street.into()),
            (UnitCode::parse("grid").unwrap(), grid.into()),
        ])
        .unwrap();
        let at = |x, y| idx.locate(Point { lon: x, lat: y }).map(|u| u.to_string());
        assert_eq!(at(1.0, 1.0).as_deref(), Some("grid"));
        assert_eq!(at(7.0, 7.0).as_deref(), Some("street"));
        assert_eq!(at(11.0, 1.0), None);
        assert!(
            AreaIndex::from_geojson(&[(
                UnitCode::parse("x").unwrap(),
                r#"{"type":"Point","coordinates":[1,2]}"#.into()
            )])
            .is_err()
        );
    }

    #[test]
    fn every_demo_place_lies_in_the_grid_the_gazetteer_names() {
        let fc: serde_json::Value = serde_json::from_str(crate::demo::BOUNDARIES).unwrap();
        let items: Vec<(UnitCode, String)> = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (UnitCode::parse(f["properties"]["unit"].as_str().unwrap()).unwrap(), f["geometry"].to_string()))
            .collect();
        let idx = AreaIndex::from_geojson(&items).unwrap();
        let places: Vec<serde_json::Value> = serde_json::from_str(crate::demo::PLACES).unwrap();
        assert!(places.len() > 50);
        for p in places {
            let at = Point { lon: p["lon"].as_f64().unwrap(), lat: p["lat"].as_f64().unwrap() };
            assert_eq!(idx.locate(at).map(|u| u.as_str()), p["unit"].as_str(), "{}", p["name"]);
        }
    }
}
