//! The OpenAPI document, generated from the handlers and types.

use crate::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "yiwang API", description = "一网：12345 诉求受理、派单、办理、回访与考核，督查督办任务、网格巡查与一网通办（办事指南和办件）的开放接口"),
    paths(
        crate::session::login, crate::session::logout, crate::session::who_am_i,
        crate::appeal::create_appeal, crate::appeal::get_appeal, crate::appeal::act_on_appeal, crate::appeal::reveal_phone,
        crate::appeal::upload_photo,
        crate::queue::list_queues, crate::queue::get_queue,
        crate::measure::get_measures,
        crate::citizen::track_appeal, crate::citizen::answer_callback, crate::citizen::resend_code,
        crate::reference::list_units, crate::reference::list_categories,
        crate::knowledge::search_knowledge, crate::knowledge::create_article, crate::knowledge::update_article,
        crate::knowledge::list_unit_articles,
        crate::search::search_appeals,
        crate::dispatch::suggest_dispatch, crate::dispatch::get_topics, crate::dispatch::complete_place,
        crate::task::extract_targets, crate::task::create_tasks, crate::task::get_task, crate::task::act_on_task,
        crate::task::get_task_queue, crate::task::get_board, crate::task::get_todo,
        crate::outbox::list, crate::outbox::resend,
        crate::patrol::start, crate::patrol::current, crate::patrol::get_patrol, crate::patrol::track,
        crate::patrol::problem, crate::patrol::end, crate::patrol::coverage,
        crate::application::list_services, crate::application::get_service, crate::application::load_services,
        crate::application::register, crate::application::get_application, crate::application::act,
        crate::application::indicators, crate::application::track, crate::application::rate,
        crate::application::get_fix, crate::application::act_on_fix, crate::application::get_certificate,
        crate::application::status_list,
        crate::bundle::list_bundle_catalogue, crate::bundle::get_bundle_guide, crate::bundle::register_bundle,
        crate::bundle::get_bundle, crate::bundle::act_on_bundle,
        crate::applicant::send_code, crate::applicant::login, crate::applicant::my_applications,
        crate::applicant::apply, crate::applicant::apply_bundle, crate::applicant::my_application, crate::applicant::act, crate::applicant::upload,
        crate::applicant::my_certificates, crate::applicant::my_authorisations, crate::applicant::revoke_mine,
        crate::applicant::grant, crate::applicant::get_authorisation, crate::applicant::revoke,
        crate::plan::get_supervision, crate::plan::load_supervision, crate::plan::list_plans, crate::plan::create_plan,
        crate::plan::get_plan, crate::plan::act_on_plan, crate::plan::list_draws, crate::plan::get_draw_record,
        crate::enterprise::list_enterprises, crate::enterprise::import_register, crate::enterprise::get_enterprise,
        crate::enterprise::record_fact, crate::enterprise::my_enterprises, crate::enterprise::my_enterprise,
        crate::inspection::queue, crate::inspection::open, crate::inspection::get_inspection, crate::inspection::act,
        crate::inspection::upload_photo, crate::inspection::refer, crate::inspection::caused,
        crate::inspection::rect_queue, crate::inspection::get_rectification, crate::inspection::rect_act,
        crate::inspection::upload_rect_photo, crate::inspection::my_inspections, crate::inspection::my_inspection,
        crate::inspection::state_on, crate::inspection::my_rectifications, crate::inspection::my_rectification,
        crate::inspection::report, crate::inspection::results, crate::inspection::results_csv,
        crate::enterprise::my_repairs, crate::enterprise::request_repair_online, crate::enterprise::request_repair,
        crate::enterprise::get_repair, crate::enterprise::decide_repair,
        crate::benefit::list_policies, crate::benefit::figures, crate::benefit::define_policy, crate::benefit::get_policy,
        crate::benefit::edit_policy, crate::benefit::dry_run, crate::benefit::enable, crate::benefit::run,
        crate::benefit::close, crate::benefit::grants, crate::benefit::get_grant, crate::benefit::record_payment,
        crate::benefit::policies_in_force, crate::benefit::my_grants, crate::benefit::my_grant,
        crate::benefit::confirm, crate::benefit::decline, crate::benefit::claim,
        crate::webhooks::list_webhooks, crate::webhooks::add_webhook, crate::webhooks::rotate_webhook,
        crate::webhooks::disable_webhook, crate::webhooks::enable_webhook, crate::webhooks::dead_letters,
        crate::webhooks::replay, crate::webhooks::skip,
        crate::catalogue::list_resources, crate::catalogue::get_resource, crate::catalogue::register_resource,
        crate::catalogue::amend_resource,
        crate::sharing::create_request, crate::sharing::list_requests, crate::sharing::get_request,
        crate::sharing::act_on_request, crate::sharing::revoke_request, crate::sharing::read_records,
        crate::sharing::usage, crate::sharing::my_reads,
    ),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

struct Bearer;
impl Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
