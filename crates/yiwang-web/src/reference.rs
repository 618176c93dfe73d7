//! The organisation and the category tree, for clients building forms.

use crate::AppState;
use crate::auth::StaffAuth;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use yiwang_core::org::Unit;
use yiwang_core::taxonomy::Category;

pub fn router() -> Router<AppState> {
    Router::new().route("/units", get(list_units)).route("/categories", get(list_categories))
}

/// Every unit of the district.
#[utoipa::path(get, path = "/api/v1/units", tag = "reference", responses((status = 200, body = [Unit])), security(("bearer" = [])))]
pub async fn list_units(State(state): State<AppState>, _auth: StaffAuth) -> Json<Vec<Unit>> {
    Json(state.app.reference().org.units().cloned().collect())
}

/// The category tree, each category with the unit that owns it. Public: the citizen
/// portal and Open311 clients use it too.
#[utoipa::path(get, path = "/api/v1/categories", tag = "reference", responses((status = 200, body = [Category])))]
pub async fn list_categories(State(state): State<AppState>) -> Json<Vec<Category>> {
    Json(state.app.reference().taxonomy.categories().cloned().collect())
}
