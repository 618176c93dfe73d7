//! 政务信息资源目录 over JSON (`yiwang-app/src/catalogue.rs`): the catalogue read by
//! every department, and kept by each department's 数据专员 and the 数据局.

use crate::auth::{Body, StaffAuth};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use yiwang_app::catalogue::{ResourceFilter, ResourceView};
use yiwang_core::id::UnitCode;
use yiwang_core::share::{OpenClass, Resource, ShareClass};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalogue", get(list_resources).post(register_resource))
        .route("/catalogue/{code}", get(get_resource).put(amend_resource))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct CatalogueQuery {
    /// Words of the code, name, description, department or field labels.
    #[serde(default)]
    pub q: Option<String>,
    /// The owning department's unit code.
    #[serde(default)]
    pub owner: Option<String>,
    /// `unconditional`, `conditional` or `none`.
    #[serde(default)]
    pub share: Option<String>,
    /// `open`, `conditional` or `closed`.
    #[serde(default)]
    pub open: Option<String>,
    /// Withdrawn resources too.
    #[serde(default)]
    pub withdrawn: Option<bool>,
}

/// The query as the app's filter, each value checked.
pub(crate) fn filter_of(q: &CatalogueQuery) -> Result<ResourceFilter, ApiError> {
    let nonempty = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let owner = match nonempty(&q.owner) {
        Some(o) => Some(UnitCode::parse(&o).map_err(|e| ApiError::invalid("owner", e.rule))?),
        None => None,
    };
    let share = match nonempty(&q.share) {
        Some(s) => Some(
            ShareClass::parse(&s)
                .ok_or_else(|| ApiError::invalid("share", "共享类型应为 unconditional、conditional、none 之一"))?,
        ),
        None => None,
    };
    let open = match nonempty(&q.open) {
        Some(s) => Some(
            OpenClass::parse(&s)
                .ok_or_else(|| ApiError::invalid("open", "开放属性应为 open、conditional、closed 之一"))?,
        ),
        None => None,
    };
    Ok(ResourceFilter { text: nonempty(&q.q), owner, share, open, withdrawn: q.withdrawn.unwrap_or(false) })
}

/// The catalogue: every resource registered, by words, department, share class and
/// open class, by code. For every staff member.
#[utoipa::path(get, path = "/api/v1/catalogue", tag = "catalogue", params(CatalogueQuery),
    responses((status = 200, body = [ResourceView]), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_resources(
    State(state): State<AppState>,
    auth: StaffAuth,
    Query(q): Query<CatalogueQuery>,
) -> Result<Json<Vec<ResourceView>>, ApiError> {
    let f = filter_of(&q)?;
    Ok(Json(state.run(move |app| app.catalogue(&auth.actor, &f)).await?))
}

/// One resource, by its 资源代码 (withdrawn ones too).
#[utoipa::path(get, path = "/api/v1/catalogue/{code}", tag = "catalogue", params(("code" = String, Path, description = "资源代码")),
    responses((status = 200, body = ResourceView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_resource(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(code): Path<String>,
) -> Result<Json<ResourceView>, ApiError> {
    Ok(Json(state.run(move |app| app.catalogue_entry(&auth.actor, &code)).await?))
}

/// 登记: a department's 数据专员 (or the 数据局's) registers a resource. 409 when the
/// code is registered already.
#[utoipa::path(post, path = "/api/v1/catalogue", tag = "catalogue", request_body = Resource,
    responses((status = 201, body = ResourceView), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn register_resource(
    State(state): State<AppState>,
    auth: StaffAuth,
    Body(r): Body<Resource>,
) -> Result<(axum::http::StatusCode, Json<ResourceView>), ApiError> {
    let view = state
        .run(move |app| {
            let e = app.register_resource(&auth.actor, &r)?;
            Ok(app.resource_view(e))
        })
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(view)))
}

/// 变更: the resource as it now is; its code is the path's.
#[utoipa::path(put, path = "/api/v1/catalogue/{code}", tag = "catalogue", params(("code" = String, Path, description = "资源代码")),
    request_body = Resource,
    responses((status = 200, body = ResourceView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn amend_resource(
    State(state): State<AppState>,
    auth: StaffAuth,
    Path(code): Path<String>,
    Body(r): Body<Resource>,
) -> Result<Json<ResourceView>, ApiError> {
    Ok(Json(
        state
            .run(move |app| {
                let e = app.amend_resource(&auth.actor, &code, &r)?;
                Ok(app.resource_view(e))
            })
            .await?,
    ))
}
