//! Finding the area (grid, community, street) a point lies in, from the boundary
//! polygons of the district (GeoJSON, WGS84). The smallest containing area wins, so a
//! point inside a grid finds the grid rather than its street.

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
        Ok(AreaIndex { areas })
    }

    /// The smallest area containing the point.
    pub fn locate(&self, p: Point) -> Option<&UnitCode> {
        let q = [p.lon, p.lat];
        self.areas
            .iter()
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
}
