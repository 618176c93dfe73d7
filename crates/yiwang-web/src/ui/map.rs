//! The district map, drawn as SVG on the server from the boundary polygons: no tiles,
//! no outside service. The portal and the intake screen use it to pick a location (a
//! few lines of script turn a click into longitude and latitude); the dashboard
//! colours each grid by its number of appeals.

use maud::{Markup, html};
use std::collections::HashMap;
use std::fmt::Write;
use yiwang_app::Reference;
use yiwang_core::org::UnitKind;

const WIDTH: f64 = 640.0;

/// An equirectangular projection of the district's bounding box onto the viewport,
/// with longitude shrunk by cos(latitude) so shapes keep their proportions.
struct Projection {
    lon0: f64,
    lat1: f64,
    k: f64,
    cos: f64,
    height: f64,
}

impl Projection {
    fn of(r: &Reference) -> Option<Self> {
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for (_, rings) in r.areas.shapes() {
            for p in rings.iter().flat_map(|r| r.iter()) {
                b = [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])];
            }
        }
        if b[0] > b[2] {
            return None;
        }
        let cos = ((b[1] + b[3]) / 2.0).to_radians().cos();
        let k = (WIDTH - 8.0) / ((b[2] - b[0]) * cos).max(1e-9);
        Some(Projection { lon0: b[0], lat1: b[3], k, cos, height: (b[3] - b[1]) * k + 8.0 })
    }
    fn xy(&self, p: [f64; 2]) -> (f64, f64) {
        ((p[0] - self.lon0) * self.cos * self.k + 4.0, (self.lat1 - p[1]) * self.k + 4.0)
    }
    fn path(&self, rings: &[&[[f64; 2]]]) -> String {
        let mut d = String::new();
        for ring in rings {
            for (i, p) in ring.iter().enumerate() {
                let (x, y) = self.xy(*p);
                let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        d
    }
    fn centre(&self, rings: &[&[[f64; 2]]]) -> (f64, f64) {
        let pts: Vec<_> = rings.iter().flat_map(|r| r.iter()).collect();
        let n = pts.len().max(1) as f64;
        let (x, y) = pts.iter().fold((0.0, 0.0), |a, p| (a.0 + p[0], a.1 + p[1]));
        self.xy([x / n, y / n])
    }
}

/// What the map is for.
pub enum MapUse<'a> {
    /// Pick a point; `selected` is the (lon, lat) already chosen, if any.
    Picker { selected: Option<(f64, f64)> },
    /// Colour grids by these counts (area code → appeals).
    Counts(&'a HashMap<String, u64>),
    /// Show where a case is: (lon, lat).
    Pin((f64, f64)),
    /// A patrol's route (lon, lat in order) and the places of what it found.
    Route { points: &'a [(f64, f64)], marks: &'a [(f64, f64)] },
    /// Places marked by a class (lon, lat, class name): the register's enterprises by
    /// credit class; `classes` gives each class its colour and label.
    Dots { dots: &'a [(f64, f64, &'static str)], classes: &'a [(&'static str, &'static str, &'static str)] },
}

/// An area's name under its street, e.g. "云溪街道 · 府前社区 · 府前第1网格".
pub fn area_label(r: &Reference, code: &yiwang_core::id::UnitCode) -> String {
    let mut names: Vec<&str> =
        r.org.ancestry(code).filter(|u| u.kind != UnitKind::District).map(|u| u.display_name()).collect();
    names.reverse();
    names.join(" · ")
}

/// Five shades from pale to dark for the dashboard map.
const SHADES: [&str; 6] = ["#f1f5f9", "#dbeafe", "#93c5fd", "#3b82f6", "#1d4ed8", "#1e3a8a"];

pub fn district_map(r: &Reference, use_: MapUse<'_>) -> Markup {
    let Some(proj) = Projection::of(r) else {
        return html! { p.muted { "尚未导入辖区边界，无法显示地图。" } };
    };
    let kind = |c: &yiwang_core::id::UnitCode| r.org.get(c).map(|u| u.kind);
    let mut shapes: Vec<_> = r.areas.shapes().collect();
    shapes.sort_by(|a, b| a.0.cmp(b.0));
    let grids: Vec<_> = shapes.iter().filter(|(c, _)| kind(c) == Some(UnitKind::Grid)).collect();
    let streets: Vec<_> = shapes.iter().filter(|(c, _)| kind(c) == Some(UnitKind::Street)).collect();
    let max = match &use_ {
        MapUse::Counts(m) => grids.iter().map(|(c, _)| m.get(c.as_str()).copied().unwrap_or(0)).max().unwrap_or(0),
        _ => 0,
    };
    let shade = |n: u64| -> &'static str {
        if n == 0 || max == 0 { SHADES[0] } else { SHADES[1 + ((n - 1) * 5 / max).min(4) as usize] }
    };
    let picker = matches!(use_, MapUse::Picker { .. });
    let h = proj.height;
    html! {
        figure.map {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (WIDTH) " " (format!("{h:.0}"))}
                class={ "district" @if picker { " picker" } }
                role="img"
                aria-label=(match use_ {
                    MapUse::Picker { .. } => "云溪区网格地图：点击地图选择问题位置",
                    MapUse::Counts(_) => "云溪区各网格诉求量地图",
                    MapUse::Pin(_) => "云溪区网格地图：圆点为诉求位置",
                    MapUse::Route { .. } => "云溪区网格地图：线为巡查轨迹，圆点为发现问题的位置",
                    MapUse::Dots { .. } => "云溪区企业分布地图：圆点颜色为信用风险分类",
                })
                data-lon0=(proj.lon0) data-lat1=(proj.lat1) data-k=(proj.k) data-cos=(proj.cos) {
                @for (code, rings) in &grids {
                    @let n = match &use_ { MapUse::Counts(m) => m.get(code.as_str()).copied().unwrap_or(0), _ => 0 };
                    path.cell d=(proj.path(rings)) data-unit=(code.as_str()) data-name=(area_label(r, code))
                        fill=(if picker { "#eef6ee" } else { shade(n) }) {
                        title { (area_label(r, code)) @if !picker { "：" (n) " 件" } }
                    }
                }
                @for (_, rings) in &streets {
                    path.street d=(proj.path(rings)) {}
                }
                @for (code, rings) in &streets {
                    @let (x, y) = proj.centre(rings);
                    text.label x=(format!("{x:.0}")) y=(format!("{y:.0}")) { (r.unit_name(code)) }
                }
                @if let MapUse::Route { points, marks } = use_ {
                    @let line: Vec<String> = points.iter().map(|p| { let (x, y) = proj.xy([p.0, p.1]); format!("{x:.1},{y:.1}") }).collect();
                    polyline.route points=(line.join(" ")) {}
                    @for m in marks {
                        @let (x, y) = proj.xy([m.0, m.1]);
                        circle.pin cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="6" {}
                    }
                }
                @if let MapUse::Dots { dots, classes } = use_ {
                    @for (lon, lat, class) in dots.iter() {
                        @let (x, y) = proj.xy([*lon, *lat]);
                        @let fill = classes.iter().find(|c| c.0 == *class).map(|c| c.1).unwrap_or("#64748b");
                        circle.dot cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="2.4" fill=(fill) data-class=(class) {}
                    }
                }
                @if let MapUse::Picker { selected: Some((lon, lat)) } | MapUse::Pin((lon, lat)) = use_ {
                    @let (x, y) = proj.xy([lon, lat]);
                    circle.pin cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="7" {}
                } @else if picker {
                    circle.pin cx="-20" cy="-20" r="7" {}
                }
            }
            @if let MapUse::Dots { classes, .. } = use_ {
                figcaption.legend {
                    "信用风险分类："
                    @for (_, colour, label) in classes.iter() { span.swatch style={"background:" (colour)} {} (label) " " }
                }
            }
            @if let MapUse::Counts(_) = use_ {
                figcaption.legend {
                    "每网格诉求量："
                    @for (i, s) in SHADES.iter().enumerate() {
                        span.swatch style={"background:" (s)} {}
                        @if i == 0 { "0 " } @else if i == 5 { (max) } @else { " " }
                    }
                }
            }
        }
    }
}

/// Areas one can choose from a list: every community and grid, under its street.
pub fn area_options(r: &Reference) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = r
        .org
        .units()
        .filter(|u| matches!(u.kind, UnitKind::Community | UnitKind::Grid))
        .map(|u| (u.code.to_string(), area_label(r, &u.code)))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}
