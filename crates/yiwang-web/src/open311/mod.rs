//! Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), under `/open311/v2/`: service
//! discovery, the service list and definitions, POST and GET service requests, GET a
//! service request, tokens; the widely implemented `page`/`page_size` extension; and
//! FixMyStreet's `servicerequestupdates` extension. Every method answers XML or JSON
//! by the resource's suffix, and every error is the spec's `errors` body with the
//! spec's status: 404 for what does not exist, 403 for a missing or wrong `api_key`,
//! 400 for anything else.
//!
//! Also the administrator's API for the client apps' keys, under `/api/v1/admin`.

mod admin;
mod render;

pub use admin::router as admin_router;

use crate::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use render::{Format, Node, datetime, opt, opt_datetime, respond, text};
use yiwang_app::{AppError, ServiceRequest, ServiceRequestInput};
use yiwang_core::Instant;
use yiwang_core::appeal::Status;
use yiwang_core::id::CategoryCode;

/// The GeoReport v2 specification this endpoint follows (Service Discovery:
/// `specification`).
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
/// When this endpoint last changed in a way clients should know (Service Discovery:
/// `changeset`).
const CHANGESET: &str = "2026-11-22T00:00:00+08:00";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{file}", get(get_resource).post(post_resource))
        .route("/services/{file}", get(get_service_definition))
        .route("/requests/{file}", get(get_service_request))
        .route("/tokens/{file}", get(get_token))
}

/// A GeoReport v2 error: the HTTP status and one `<error>`.
struct Open311Error {
    status: StatusCode,
    description: String,
}

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error { status, description: description.into() }
    }
    fn bad(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }
    fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }
    /// GeoReport v2, Errors: `errors` holding `error`s with `code` and `description`;
    /// the code is the HTTP status.
    fn into_response(self, format: Format) -> Response {
        let body = Node::List(
            "error",
            vec![Node::Obj(vec![
                ("code", Node::Int(self.status.as_u16().into())),
                ("description", text(self.description)),
            ])],
        );
        respond(self.status, format, "errors", &body)
    }
}

/// An error the framework answered by itself (a 405, a 413 …), as the spec's error
/// document in the format `path` asks for.
pub(crate) fn framework_error(status: StatusCode, path: &str, message: String) -> Response {
    let format = if path.ends_with(".xml") { Format::Xml } else { Format::Json };
    Open311Error::new(status, message).into_response(format)
}

/// GeoReport v2, Errors: "404 for resources that don't exist, 403 for errors because
/// of wrong or missing api_key and basically 400 for any other error".
impl From<AppError> for Open311Error {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthenticated => Open311Error::new(
                StatusCode::FORBIDDEN,
                "Missing or invalid api_key: this method requires a valid api_key",
            ),
            AppError::Forbidden(m) => Open311Error::new(StatusCode::FORBIDDEN, m),
            AppError::NotFound(what) => Open311Error::not_found(format!("{what} provided was not found")),
            AppError::Invalid { message, .. } => Open311Error::bad(message),
            AppError::Refused(r) => match r {
                yiwang_core::appeal::Refusal::Forbidden { .. } => {
                    Open311Error::new(StatusCode::FORBIDDEN, r.to_string())
                }
                other => Open311Error::bad(other.to_string()),
            },
            AppError::Internal(cause) => {
                tracing::error!(%cause, "open311: internal error");
                Open311Error::bad("General service error: the request could not be processed; please try again later")
            }
            other => Open311Error::bad(other.to_string()),
        }
    }
}

type Reply = Result<Response, (Format, Open311Error)>;

fn finish(r: Reply) -> Response {
    match r {
        Ok(r) => r,
        Err((f, e)) => e.into_response(f),
    }
}

/// Decoded `key=value` pairs of a query string or form body (UTF-8, GeoReport v2
/// Encoding), in order, repeated keys kept.
fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

struct Params(Vec<(String, String)>);

impl Params {
    /// GeoReport v2, Optional Arguments: an empty parameter is the same as none.
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }
    /// A comma-delimited parameter that may also be declared several times.
    fn list(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// Runs a use case on the blocking pool, keeping the app's error for the Open311 table.
async fn run<T: Send + 'static>(
    state: &AppState,
    format: Format,
    f: impl FnOnce(&yiwang_app::App) -> yiwang_app::Result<T> + Send + 'static,
) -> Result<T, (Format, Open311Error)> {
    let app = state.app.clone();
    match tokio::task::spawn_blocking(move || f(&app)).await {
        Ok(r) => r.map_err(|e| (format, Open311Error::from(e))),
        Err(e) => Err((format, Open311Error::from(AppError::Internal(format!("task failed: {e}"))))),
    }
}

fn format_of(file: &str) -> Result<(&str, Format), (Format, Open311Error)> {
    match Format::split(file) {
        (name, Ok(f)) => Ok((name, f)),
        (_, Err(other)) => {
            Err((Format::Xml, Open311Error::bad(format!("format {other} is not supported: use xml or json"))))
        }
    }
}

/// `jurisdiction_id` is optional: yiwang serves one jurisdiction, its district
/// (GeoReport v2, jurisdiction_id). Another one is not found.
fn check_jurisdiction(state: &AppState, p: &Params, format: Format) -> Result<(), (Format, Open311Error)> {
    match p.get("jurisdiction_id") {
        Some(j) if j != state.app.open311_jurisdiction() => {
            Err((format, Open311Error::not_found(format!("jurisdiction_id {j} provided was not found"))))
        }
        _ => Ok(()),
    }
}

/// A w3 datetime with its time zone (GeoReport v2, Date/time format). A `+` that a
/// client left unencoded in the query arrives as a space; it is read as the `+` it was.
fn parse_datetime(field: &str, v: &str) -> Result<Instant, Open311Error> {
    let fixed = match v.rfind(' ') {
        Some(i) if i > 10 => format!("{}+{}", &v[..i], &v[i + 1..]),
        _ => v.to_owned(),
    };
    chrono::DateTime::parse_from_rfc3339(&fixed).map(|t| t.to_utc()).map_err(|_| {
        Open311Error::bad(format!("{field} must be a w3 datetime with a time zone, e.g. 2026-11-01T00:00:00+08:00"))
    })
}

// Resources -----------------------------------------------------------------------

async fn get_resource(State(state): State<AppState>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    finish(get_resource_inner(state, file, q).await)
}

async fn get_resource_inner(state: AppState, file: String, q: Option<String>) -> Reply {
    let (name, format) = format_of(&file)?;
    let p = Params(pairs(q.unwrap_or_default().as_bytes()));
    match name {
        "discovery" => Ok(discovery(&state.public_url, format)),
        "services" => {
            check_jurisdiction(&state, &p, format)?;
            Ok(service_list(&state, format))
        }
        "requests" => {
            check_jurisdiction(&state, &p, format)?;
            service_requests(&state, &p, format).await
        }
        "servicerequestupdates" => {
            check_jurisdiction(&state, &p, format)?;
            request_updates(&state, &p, format).await
        }
        _ => Err((format, Open311Error::not_found(format!("there is no resource {name} in GeoReport v2")))),
    }
}

async fn post_resource(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    address: crate::security::ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(post_resource_inner(state, file, q, address, headers, body).await)
}

async fn post_resource_inner(
    state: AppState,
    file: String,
    q: Option<String>,
    address: crate::security::ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let (name, format) = format_of(&file)?;
    if !matches!(name, "requests" | "servicerequestupdates") {
        return Err((format, Open311Error::not_found(format!("there is no resource {name} to POST to"))));
    }
    // GeoReport v2, POST Service Request: "Content-Type: application/x-www-form-urlencoded".
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.is_empty() && !ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err((format, Open311Error::bad("the request must be sent as application/x-www-form-urlencoded")));
    }
    if std::str::from_utf8(&body).is_err() {
        return Err((format, Open311Error::bad("the request is not UTF-8")));
    }
    // Form fields first; some clients put api_key or jurisdiction_id in the query.
    let mut all = pairs(&body);
    all.extend(pairs(q.as_deref().unwrap_or_default().as_bytes()));
    let p = Params(all);
    check_jurisdiction(&state, &p, format)?;
    let key = p.get("api_key").map(str::to_owned);
    let address = address.0;
    let client = run(&state, format, move |app| app.open311_client(key.as_deref(), address.as_deref())).await.map_err(
        |(f, e)| {
            if e.status == StatusCode::FORBIDDEN {
                (
                    f,
                    Open311Error::new(
                        StatusCode::FORBIDDEN,
                        "Invalid api_key received -- can't proceed with create_request.",
                    ),
                )
            } else {
                (f, e)
            }
        },
    )?;
    if name == "servicerequestupdates" {
        let id = p.get("service_request_id").map(str::to_owned);
        run(&state, format, move |app| app.open311_post_update(&client, id.as_deref())).await?;
        return Err((format, Open311Error::bad("the update was not accepted")));
    }
    // An Idempotency-Key (README: Retries) is scoped to the client's API key and bound
    // to the form as sent.
    let idem =
        crate::idempotency::IdempotencyHeader::of(&headers).map_err(|e| (format, Open311Error::bad(e.message)))?;
    let key = idem.key(
        crate::idempotency::api_key_scope(p.get("api_key").unwrap_or_default()),
        "POST /open311/v2/requests",
        &(String::from_utf8_lossy(&body), q.as_deref().unwrap_or_default()),
    );
    let input = service_request_input(&p);
    let account_id = p.get("account_id").map(str::to_owned);
    let created = run(&state, format, move |app| app.open311_submit_keyed(&client, input, key.as_ref())).await?;
    let body = Node::List(
        "request",
        vec![Node::Obj(vec![
            ("service_request_id", text(created.service_request_id.to_string())),
            ("service_notice", text(created.service_notice)),
            ("account_id", opt(account_id)),
        ])],
    );
    Ok(respond(StatusCode::OK, format, "service_requests", &body))
}

/// `attribute[code]=v` and, for a multivaluelist, `attribute[code][]=v` repeated.
fn service_request_input(p: &Params) -> ServiceRequestInput {
    let attributes =
        p.0.iter()
            .filter_map(|(k, v)| {
                let code = k.strip_prefix("attribute[")?;
                let code = code.strip_suffix("][]").or_else(|| code.strip_suffix(']'))?;
                Some((code.to_owned(), v.clone()))
            })
            .collect();
    let s = |k: &str| p.get(k).map(str::to_owned);
    ServiceRequestInput {
        service_code: s("service_code"),
        lat: s("lat"),
        long: s("long"),
        address_string: s("address_string"),
        address_id: s("address_id"),
        attributes,
        email: s("email"),
        first_name: s("first_name"),
        last_name: s("last_name"),
        phone: s("phone"),
        description: s("description"),
        media_url: s("media_url"),
    }
}

/// Service Discovery (wiki.open311.org/Service_Discovery): where the endpoint is,
/// which specification it follows, in which formats.
/// The endpoint's address is the configured public URL, never the `Host` or
/// `X-Forwarded-Proto` a request was sent with.
fn discovery(public_url: &str, format: Format) -> Response {
    let body = Node::Obj(vec![
        ("changeset", text(CHANGESET)),
        ("contact", text("12345 市民服务热线（Open311 接入问题请联系系统管理员）")),
        ("key_service", text("API 密钥由系统管理员签发：yiwang apikey issue，或 POST /api/v1/admin/api-keys")),
        (
            "endpoints",
            Node::List(
                "endpoint",
                vec![Node::Obj(vec![
                    ("specification", text(SPECIFICATION)),
                    ("url", text(format!("{public_url}/open311/v2"))),
                    ("changeset", text(CHANGESET)),
                    ("type", text("production")),
                    ("formats", Node::List("format", vec![text("text/xml"), text("application/json")])),
                ])],
            ),
        ),
    ]);
    respond(StatusCode::OK, format, "discovery", &body)
}

/// GET Service List: the leaf categories.
fn service_list(state: &AppState, format: Format) -> Response {
    let items = state
        .app
        .open311_services()
        .into_iter()
        .map(|s| {
            Node::Obj(vec![
                ("service_code", text(s.category.code.to_string())),
                ("service_name", text(s.category.name.clone())),
                ("description", text(s.description)),
                ("metadata", Node::Bool(!s.category.attributes.is_empty())),
                ("type", text("realtime")),
                ("keywords", text(s.keywords)),
                ("group", text(s.group)),
            ])
        })
        .collect();
    respond(StatusCode::OK, format, "services", &Node::List("service", items))
}

async fn get_service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    finish(
        async {
            let (code, format) = format_of(&file)?;
            let p = Params(pairs(q.unwrap_or_default().as_bytes()));
            check_jurisdiction(&state, &p, format)?;
            if code.is_empty() {
                return Err((format, Open311Error::bad("service_code was not provided")));
            }
            let code = code.to_owned();
            let c = run(&state, format, move |app| app.open311_service(&code)).await?;
            let attributes = c
                .attributes
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let values = a
                        .values
                        .iter()
                        .map(|v| Node::Obj(vec![("key", text(v.key.clone())), ("name", text(v.name.clone()))]));
                    Node::Obj(vec![
                        ("variable", Node::Bool(true)),
                        ("code", text(a.code.clone())),
                        ("datatype", text(a.datatype.as_str())),
                        ("required", Node::Bool(a.required)),
                        ("datatype_description", Node::Text(None)),
                        ("order", Node::Int(i as i64 + 1)),
                        ("description", text(a.description.clone())),
                        ("values", Node::List("value", values.collect())),
                    ])
                })
                .collect();
            let body = Node::Obj(vec![
                ("service_code", text(c.code.to_string())),
                ("attributes", Node::List("attribute", attributes)),
            ]);
            Ok(respond(StatusCode::OK, format, "service_definition", &body))
        }
        .await,
    )
}

fn request_node(s: ServiceRequest) -> Node {
    Node::Obj(vec![
        ("service_request_id", text(s.service_request_id.to_string())),
        ("status", text(s.status)),
        ("status_notes", opt(s.status_notes)),
        ("service_name", opt(s.service_name)),
        ("service_code", opt(s.service_code.map(|c| c.to_string()))),
        ("description", text(s.description)),
        ("agency_responsible", opt(s.agency_responsible)),
        ("service_notice", opt(s.service_notice)),
        ("requested_datetime", datetime(s.requested_datetime)),
        ("updated_datetime", datetime(s.updated_datetime)),
        ("expected_datetime", opt_datetime(s.expected_datetime)),
        ("address", opt(s.address)),
        ("address_id", opt(s.address_id)),
        ("zipcode", Node::Text(None)),
        ("lat", Node::Num(s.lat)),
        ("long", Node::Num(s.long)),
        ("media_url", opt(s.media_url)),
    ])
}

/// `page` (from 1) and `page_size` (at most 1000, the spec's response volume): the
/// paging extension Open311 servers widely implement.
fn paging(p: &Params) -> Result<(u32, u32), Open311Error> {
    let max = yiwang_app::OPEN311_MAX_REQUESTS;
    let page_size = match p.get("page_size") {
        None => max,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| Open311Error::bad(format!("page_size must be a whole number from 1 to {max}")))?,
    };
    let page = match p.get("page") {
        None => 1,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Open311Error::bad("page must be a whole number from 1"))?,
    };
    let offset = (page - 1).checked_mul(page_size).ok_or_else(|| Open311Error::bad("page is too large"))?;
    Ok((page_size, offset))
}

/// GET Service Requests.
async fn service_requests(state: &AppState, p: &Params, format: Format) -> Reply {
    let e = |e: Open311Error| (format, e);
    // "service_request_id ... This overrides all other arguments."
    let ids: Vec<String> = p.list("service_request_id").into_iter().map(str::to_owned).collect();
    let found = if !ids.is_empty() {
        run(state, format, move |app| app.open311_requests_by_id(&ids.iter().map(String::as_str).collect::<Vec<_>>()))
            .await?
    } else {
        let mut service_codes = vec![];
        for c in p.list("service_code") {
            // A code that names no category finds no requests: it is a filter, not a resource.
            match CategoryCode::parse(c) {
                Ok(c) => service_codes.push(c),
                Err(_) => return Err(e(Open311Error::bad(format!("service_code {c} is not a valid service code")))),
            }
        }
        let mut statuses = vec![];
        let (mut open, mut closed) = (false, false);
        for s in p.list("status") {
            match s {
                "open" => open = true,
                "closed" => closed = true,
                other => return Err(e(Open311Error::bad(format!("status {other} is not one of open, closed")))),
            }
        }
        if open != closed {
            statuses = if open {
                Status::ALL.into_iter().filter(|s| *s != Status::Closed).collect()
            } else {
                vec![Status::Closed]
            };
        }
        let from = p.get("start_date").map(|v| parse_datetime("start_date", v)).transpose().map_err(e)?;
        let to = p.get("end_date").map(|v| parse_datetime("end_date", v)).transpose().map_err(e)?;
        let (limit, offset) = paging(p).map_err(e)?;
        let filter = yiwang_app::RequestFilter { service_codes, from, to, statuses, limit, offset };
        run(state, format, move |app| app.open311_requests(&filter)).await?
    };
    let body = Node::List("request", found.into_iter().map(request_node).collect());
    Ok(respond(StatusCode::OK, format, "service_requests", &body))
}

/// GET Service Request: one, as a list of one.
async fn get_service_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    finish(
        async {
            let (id, format) = format_of(&file)?;
            let p = Params(pairs(q.unwrap_or_default().as_bytes()));
            check_jurisdiction(&state, &p, format)?;
            let id = id.to_owned();
            let s = run(&state, format, move |app| app.open311_request(&id)).await?;
            Ok(respond(StatusCode::OK, format, "service_requests", &Node::List("request", vec![request_node(s)])))
        }
        .await,
    )
}

/// GET service_request_id from a token. Every service is `realtime`: POST answers
/// with the service_request_id at once and yiwang issues no tokens, so none is found.
async fn get_token(State(state): State<AppState>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    finish(
        async {
            let (token, format) = format_of(&file)?;
            let p = Params(pairs(q.unwrap_or_default().as_bytes()));
            check_jurisdiction(&state, &p, format)?;
            if token.is_empty() {
                return Err((format, Open311Error::bad("token was not provided")));
            }
            Err((
                format,
                Open311Error::not_found(format!(
                    "token {token} provided was not found: every service is realtime and POST answers with the service_request_id"
                )),
            ))
        }
        .await,
    )
}

/// FixMyStreet's GET servicerequestupdates: the public steps of cases in a window,
/// with FixMyStreet's richer statuses.
async fn request_updates(state: &AppState, p: &Params, format: Format) -> Reply {
    let e = |e: Open311Error| (format, e);
    let from = p.get("start_date").map(|v| parse_datetime("start_date", v)).transpose().map_err(e)?;
    let to = p.get("end_date").map(|v| parse_datetime("end_date", v)).transpose().map_err(e)?;
    let (limit, offset) = paging(p).map_err(e)?;
    let updates = run(state, format, move |app| app.open311_updates(from, to, limit, offset)).await?;
    let items = updates
        .into_iter()
        .map(|u| {
            Node::Obj(vec![
                ("update_id", text(u.update_id)),
                ("service_request_id", text(u.service_request_id.to_string())),
                ("status", text(u.status)),
                ("updated_datetime", datetime(u.updated_datetime)),
                ("description", text(u.description)),
                ("media_url", Node::Text(None)),
            ])
        })
        .collect();
    Ok(respond(StatusCode::OK, format, "service_requests_updates", &Node::List("request_update", items)))
}
