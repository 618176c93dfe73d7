//! 好差评's forms, shared by the portal's rating page and the window's 「请办事人评价」
//! (the applicant on the clerk's tablet): the five levels, and the dimensions beside
//! them (网上评价: 办事效率, 办事指南精确度, 办事便捷度, 平台操作性; 现场评价: 服务效率,
//! 服务水平, 服务态度), each a row of radio buttons large enough for a finger.

use super::form::Fields;
use maud::{Markup, html};
use yiwang_app::AppError;
use yiwang_core::application::{Dimension, Dimensions, Rating};

/// The form field of a dimension: `dim_efficiency` ….
fn field(d: Dimension) -> String {
    format!("dim_{}", d.as_str())
}

/// The overall level (整体满意度), required.
pub(super) fn overall(f: &Fields, legend: &str) -> Markup {
    html! {
        fieldset.rating-levels {
            legend { (legend) }
            div.choices {
                @for r in Rating::ALL {
                    label.choice { input type="radio" name="rating" value=(r.as_str()) required checked[f.get("rating") == r.as_str()]; (r.label()) }
                }
            }
        }
    }
}

/// One row of levels per dimension, each optional.
pub(super) fn dimensions(f: &Fields, dims: &[Dimension], hall: bool) -> Markup {
    html! {
        fieldset.rating-dimensions {
            legend { "分项评价" span.opt { "（可选）" } }
            @for d in dims {
                fieldset.rating-levels.dimension data-dimension=(d.as_str()) {
                    legend { (d.label(hall)) }
                    div.choices {
                        @for r in Rating::ALL {
                            label.choice { input type="radio" name=(field(*d)) value=(r.as_str()) checked[f.get(&field(*d)) == r.as_str()]; (r.label()) }
                        }
                    }
                }
            }
        }
    }
}

/// The overall level as posted.
pub(super) fn overall_from(f: &Fields) -> Result<Rating, AppError> {
    Rating::parse(f.get("rating")).ok_or_else(|| AppError::invalid("rating", "请选择满意程度"))
}

/// The dimensions as posted: those left blank are left out; an unknown level is an
/// error naming the dimension.
pub(super) fn dimensions_from(f: &Fields, dims: &[Dimension], hall: bool) -> Result<Dimensions, AppError> {
    let mut out = Dimensions::new();
    for d in dims {
        let given = f.get(&field(*d)).trim();
        if given.is_empty() {
            continue;
        }
        let level = Rating::parse(given)
            .ok_or_else(|| AppError::invalid("dimensions", format!("“{}”的评价等级无效", d.label(hall))))?;
        out.insert(*d, level);
    }
    Ok(out)
}
