//! The OpenAPI 3.1 document, generated from the route table: each route's method, path,
//! parameters, body and answers, the problem+json errors, and the bearer scheme.

use axum::http::{Method, StatusCode};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApiBuilder, PathItem, PathsBuilder, Ref,
    RefOr, Required, ResponseBuilder, ResponsesBuilder,
};
use utoipa::{PartialSchema, ToSchema};
use warden_audit::EventKind;

use super::problem::Problem;
use super::routes::{self, Guard, In, ParamType};

/// A body's schema and the named schemas it refers to.
pub struct BodyDoc {
    pub schema: RefOr<Schema>,
    pub components: Vec<(String, RefOr<Schema>)>,
}

impl std::fmt::Debug for BodyDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyDoc")
            .field("components", &self.components.len())
            .finish_non_exhaustive()
    }
}

/// One named object, by reference.
pub fn one<T: ToSchema>() -> BodyDoc {
    let mut components = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut components);
    BodyDoc {
        schema: RefOr::Ref(Ref::from_schema_name(T::name())),
        components,
    }
}

/// An array of named objects.
pub fn list<T: ToSchema>() -> BodyDoc {
    let item = one::<T>();
    BodyDoc {
        schema: RefOr::T(Schema::Array(
            ArrayBuilder::new().items(item.schema).build(),
        )),
        components: item.components,
    }
}

/// Any JSON object (the document itself).
pub fn any_object() -> BodyDoc {
    BodyDoc {
        schema: RefOr::T(Schema::Object(ObjectBuilder::new().build())),
        components: Vec::new(),
    }
}

fn http_method(m: &Method) -> HttpMethod {
    match *m {
        Method::GET => HttpMethod::Get,
        Method::POST => HttpMethod::Post,
        Method::DELETE => HttpMethod::Delete,
        Method::PUT => HttpMethod::Put,
        Method::PATCH => HttpMethod::Patch,
        _ => HttpMethod::Options,
    }
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
                .build(),
        )
        .build()
}

/// The errors a route can answer with, by its guard and shape.
fn errors(route: &routes::Route) -> Vec<(StatusCode, &'static str)> {
    let mut e = vec![
        (StatusCode::BAD_REQUEST, "The request is malformed"),
        (
            StatusCode::TOO_MANY_REQUESTS,
            "Over the request budget; see Retry-After",
        ),
        (StatusCode::INTERNAL_SERVER_ERROR, "The request failed"),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "The database is unavailable",
        ),
    ];
    if route.body.is_some() {
        e.push((StatusCode::PAYLOAD_TOO_LARGE, "The body is over 64 KiB"));
        e.push((StatusCode::UNSUPPORTED_MEDIA_TYPE, "The body is not JSON"));
    }
    match route.guard {
        Guard::Public => {
            if route.path == "/api/v1/auth/login" || route.path == "/api/v1/auth/refresh" {
                e.push((
                    StatusCode::UNAUTHORIZED,
                    "Wrong credentials, or the session is invalid",
                ));
            }
            if route.path == "/api/v1/auth/login" {
                e.push((StatusCode::LOCKED, "Locked after too many failed logins"));
            }
        }
        Guard::OwnSession | Guard::Requires(_) => {
            e.push((StatusCode::UNAUTHORIZED, "No valid bearer token"));
            e.push((
                StatusCode::FORBIDDEN,
                "The operator's role does not allow this",
            ));
            e.push((StatusCode::NOT_FOUND, "No such resource"));
            e.push((
                StatusCode::CONFLICT,
                "The resource is not in a state that allows this",
            ));
        }
    }
    e
}

/// A parameter's schema: exactly the values its handler accepts.
fn param_schema(kind: ParamType) -> Object {
    let int64 = |min: i64, max: i64| {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Integer))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(min))
            .maximum(Some(max))
            .build()
    };
    let one_of = |names: Vec<&'static str>| {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(names))
            .build()
    };
    match kind {
        ParamType::Id => int64(1, i64::MAX),
        ParamType::Seq | ParamType::Millis => int64(0, i64::MAX),
        ParamType::Limit => int64(1, i64::try_from(routes::MAX_LIMIT).unwrap_or(i64::MAX)),
        ParamType::AuditKind => one_of(EventKind::ALL.iter().map(|k| k.as_str()).collect()),
        ParamType::OneOf(names) => one_of(names.to_vec()),
        ParamType::PairingCode => ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .pattern(Some(routes::PAIRING_CODE_PATTERN))
            .min_length(Some(8))
            .max_length(Some(9))
            .build(),
    }
}

/// The document, as JSON text.
pub fn document() -> String {
    let mut paths = PathsBuilder::new();
    let mut components = ComponentsBuilder::new()
        .schema("Problem", Problem::schema())
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    for route in routes::table() {
        let mut op = OperationBuilder::new()
            .summary(Some(route.summary))
            .operation_id(Some(operation_id(&route)));
        for (name, at, kind, required) in route.params {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(match at {
                        In::Path => ParameterIn::Path,
                        In::Query => ParameterIn::Query,
                    })
                    .required(if *required {
                        Required::True
                    } else {
                        Required::False
                    })
                    .schema(Some(RefOr::T(Schema::Object(param_schema(*kind))))),
            );
        }
        if let Some(body) = route.body {
            let doc = body();
            for (name, schema) in doc.components {
                components = components.schema(name, schema);
            }
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(doc.schema)).build(),
                    )
                    .build(),
            ));
        }
        let mut responses = ResponsesBuilder::new();
        let (status, ok_body) = route.ok;
        let mut ok = ResponseBuilder::new().description(status.canonical_reason().unwrap_or("OK"));
        if let Some(body) = ok_body {
            let doc = body();
            for (name, schema) in doc.components {
                components = components.schema(name, schema);
            }
            ok = ok.content(
                "application/json",
                ContentBuilder::new().schema(Some(doc.schema)).build(),
            );
        }
        responses = responses.response(status.as_str(), ok.build());
        for (code, why) in errors(&route) {
            responses = responses.response(code.as_str(), problem_response(why));
        }
        op = op.responses(responses.build());
        if route.guard != Guard::Public {
            op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
        }
        paths = paths.path(
            route.path,
            PathItem::new(http_method(&route.method), op.build()),
        );
    }
    let api = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Warden admin API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The operator plane of the Warden WhatsApp gateway. Errors are RFC 9457 \
                     problem details.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components.build()))
        .build();
    api.to_json().unwrap_or_else(|_| "{}".to_owned())
}

/// `post_api_v1_vendors_id_disable`: unique per route, stable across releases.
fn operation_id(route: &routes::Route) -> String {
    let path: String = route
        .path
        .trim_start_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let path = path.replace("__", "_").trim_end_matches('_').to_owned();
    format!("{}_{}", route.method.as_str().to_ascii_lowercase(), path)
}
