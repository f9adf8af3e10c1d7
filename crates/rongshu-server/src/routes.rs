//! The route table: every route, its access rule and how it is audited.
//! The router, the gate, the OpenAPI document and the route-walk tests
//! are all built from this one list.

use std::sync::LazyLock;

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, post, put};
use rongshu_domain::{Access, Grant, PartyType as P, Role};

use crate::state::AppState;

mod products;
mod sandbox;
mod workflow;
use crate::{api, console};

/// Which side of the platform a route belongs to; it decides how callers
/// prove who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// JSON API: bearer session tokens or API keys; cookies are ignored, so
    /// cross-site requests cannot ride on a console session.
    Api,
    /// Console pages: the session cookie, with a CSRF token on every form.
    Console,
    /// Health, metrics and the API description: no identity.
    System,
    /// The front system (前置系统, Art. 8): its own listener, reached from
    /// the government network, and its own credentials (front-system keys,
    /// which the public API refuses).
    Front,
}

/// How a successful request reaches the ledger. Denied and failed requests
/// are always ledgered by the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audit {
    /// The handler appends entries in the same transaction as its change.
    InHandler,
    /// A read of audited data: the gate ledgers it after it succeeds.
    Read,
    /// Nothing worth a ledger entry on success (pages, health, own profile).
    Quiet,
    /// A data call: the handler records it through the products'
    /// recorder, which commits it only if nothing it rests on changed, so
    /// the gate may take its API key from the per-process cache.
    DataCall,
}

/// What a route's JSON looks like, by OpenAPI component name: `Name[]` is
/// an array of them; `query` names the type of the query parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wire {
    pub body: Option<&'static str>,
    pub reply: Option<&'static str>,
    pub query: Option<&'static str>,
}

/// A route whose body is one whole file, held to the file's own limit
/// instead of the server's body limit (kept small for JSON and forms).
fn file_body(route: MethodRouter<AppState>, max_bytes: usize) -> MethodRouter<AppState> {
    route.layer(DefaultBodyLimit::max(max_bytes))
}

const fn wire(body: Option<&'static str>, reply: Option<&'static str>) -> Wire {
    Wire {
        body,
        reply,
        query: None,
    }
}

/// One declared route.
#[derive(Debug)]
pub struct RouteSpec {
    pub method: Method,
    /// axum path template, e.g. `/api/v1/accounts/{id}/disable`.
    pub path: &'static str,
    /// The ledger action, e.g. `account.disable`.
    pub action: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub surface: Surface,
    pub audit: Audit,
    pub wire: Wire,
    pub(crate) handler: fn() -> MethodRouter<AppState>,
}

/// The operator's administrators.
const OPERATOR_ADMINS: &[Grant] = &[Grant::new(&[P::Operator], &[Role::Admin])];
/// Every organisation's administrators (scoped to their own organisation by
/// [`rongshu_domain::Actor::may_manage_accounts_of`]).
const ADMINS: &[Grant] = &[Grant::new(&P::ALL, &[Role::Admin])];
/// Auditors of every party, and the Big Data Center, which inspects usage
/// logs at any time (Art. 17).
const LEDGER_READERS: &[Grant] = &[
    Grant::new(&P::ALL, &[Role::Auditor]),
    Grant::new(&[P::BigDataCenter], &Role::ALL),
];
/// Whole-chain verification: the Big Data Center and the supervisors' and
/// operator's auditors.
const LEDGER_VERIFIERS: &[Grant] = &[
    Grant::new(&[P::BigDataCenter], &Role::ALL),
    Grant::new(&[P::Operator, P::Governance], &[Role::Auditor]),
];

/// Providers' staff and administrators, who describe and deliver their
/// own resources (checked per resource by the handlers).
const PROVIDER_WRITERS: &[Grant] = &[Grant::new(&[P::Provider], &[Role::Admin, Role::Staff])];
/// Who sees deliveries (versions, ingests): providers (their own), the
/// operator, the Big Data Center and the Governance Office.
const DELIVERY_INSPECTORS: &[Grant] = &[Grant::new(
    &[P::Provider, P::Operator, P::BigDataCenter, P::Governance],
    &Role::ALL,
)];
/// Who delivers through the front system: providers (to their own
/// resources) and the Big Data Center's sharing platform.
const FRONT_DELIVERERS: &[Grant] = &[Grant::new(
    &[P::Provider, P::BigDataCenter],
    &[Role::Admin, Role::Staff],
)];
/// Front-system reads: the same parties, auditors included.
const FRONT_READERS: &[Grant] = &[Grant::new(&[P::Provider, P::BigDataCenter], &Role::ALL)];

macro_rules! only {
    ($party:expr) => {
        Access::Restricted(const { &[Grant::new(&[$party], &Role::ALL)] })
    };
}

struct Builder(Vec<RouteSpec>);

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        surface: Surface,
        method: Method,
        path: &'static str,
        action: &'static str,
        summary: &'static str,
        access: Access,
        audit: Audit,
        wire: Wire,
        handler: fn() -> MethodRouter<AppState>,
    ) {
        self.0.push(RouteSpec {
            method,
            path,
            action,
            summary,
            access,
            surface,
            audit,
            wire,
            handler,
        });
    }
}

const NO_BODY: Wire = wire(None, None);

fn table() -> Vec<RouteSpec> {
    use Audit::*;
    use Surface::*;
    let mut b = Builder(Vec::new());
    let signed_in = Access::SIGNED_IN;
    let public = Access::Public;

    // System.
    b.add(
        System,
        Method::GET,
        "/healthz",
        "system.health",
        "The process is up.",
        public,
        Quiet,
        NO_BODY,
        || get(api::system::healthz),
    );
    b.add(
        System,
        Method::GET,
        "/readyz",
        "system.ready",
        "The database answers.",
        public,
        Quiet,
        NO_BODY,
        || get(api::system::readyz),
    );
    b.add(
        System,
        Method::GET,
        "/metrics",
        "system.metrics",
        "Prometheus metrics.",
        public,
        Quiet,
        NO_BODY,
        || get(api::system::metrics),
    );
    b.add(
        System,
        Method::GET,
        "/api/v1/openapi.json",
        "system.openapi",
        "This API's OpenAPI 3.1 description.",
        public,
        Quiet,
        NO_BODY,
        || get(api::system::openapi_json),
    );
    b.add(
        System,
        Method::GET,
        "/api/docs",
        "system.api-docs",
        "The API reference page.",
        public,
        Quiet,
        NO_BODY,
        || get(api::system::api_docs),
    );
    b.add(
        System,
        Method::GET,
        "/assets/style.css",
        "system.asset",
        "Console style sheet.",
        public,
        Quiet,
        NO_BODY,
        || get(console::assets::style),
    );

    // API: sessions and the caller's own account.
    b.add(
        Api,
        Method::POST,
        "/api/v1/sessions",
        "session.create",
        "Sign in; returns a bearer token.",
        public,
        InHandler,
        wire(Some("SignInRequest"), Some("SessionCreated")),
        || post(api::sessions::create),
    );
    b.add(
        Api,
        Method::DELETE,
        "/api/v1/sessions/current",
        "session.revoke",
        "Sign out: revoke the bearer token used.",
        signed_in,
        InHandler,
        NO_BODY,
        || delete(api::sessions::revoke_current),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/me",
        "account.read-self",
        "The signed-in account.",
        signed_in,
        Quiet,
        wire(None, Some("AccountView")),
        || get(api::me::show),
    );
    b.add(
        Api,
        Method::PUT,
        "/api/v1/me/password",
        "account.change-password",
        "Change one's own password; ends every session of the account.",
        signed_in,
        InHandler,
        wire(Some("ChangePasswordRequest"), None),
        || put(api::me::change_password),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/me/api-keys",
        "api-key.list",
        "One's own API keys (never the keys themselves).",
        signed_in,
        Quiet,
        wire(None, Some("ApiKeyView[]")),
        || get(api::me::list_api_keys),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/me/api-keys",
        "api-key.create",
        "Create an API key; the key is shown only in this reply.",
        signed_in,
        InHandler,
        wire(Some("CreateApiKeyRequest"), Some("ApiKeyCreated")),
        || post(api::me::create_api_key),
    );
    b.add(
        Api,
        Method::DELETE,
        "/api/v1/me/api-keys/{id}",
        "api-key.revoke",
        "Revoke one of one's own API keys.",
        signed_in,
        InHandler,
        NO_BODY,
        || delete(api::me::revoke_api_key),
    );

    // API: organisations and accounts.
    b.add(
        Api,
        Method::GET,
        "/api/v1/organizations",
        "organization.list",
        "The organisations on the platform and their party types.",
        signed_in,
        Quiet,
        wire(None, Some("OrganizationView[]")),
        || get(api::organizations::list),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/organizations",
        "organization.create",
        "Register an organisation (operator administrators).",
        Access::Restricted(OPERATOR_ADMINS),
        InHandler,
        wire(Some("CreateOrganizationRequest"), Some("OrganizationView")),
        || post(api::organizations::create),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/organizations/{id}/accounts",
        "account.list",
        "An organisation's accounts (its administrators, or the operator's).",
        Access::Restricted(ADMINS),
        Read,
        wire(None, Some("AccountView[]")),
        || get(api::organizations::list_accounts),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/organizations/{id}/accounts",
        "account.create",
        "Create an account in an organisation.",
        Access::Restricted(ADMINS),
        InHandler,
        wire(Some("CreateAccountRequest"), Some("AccountView")),
        || post(api::organizations::create_account),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/accounts/{id}/disable",
        "account.disable",
        "Disable an account and end its sessions.",
        Access::Restricted(ADMINS),
        InHandler,
        wire(None, Some("AccountView")),
        || post(api::organizations::disable_account),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/accounts/{id}/enable",
        "account.enable",
        "Enable a disabled account.",
        Access::Restricted(ADMINS),
        InHandler,
        wire(None, Some("AccountView")),
        || post(api::organizations::enable_account),
    );
    b.add(
        Api,
        Method::PUT,
        "/api/v1/accounts/{id}/password",
        "account.reset-password",
        "Set a new password for an account, clear its lockout and end its sessions.",
        Access::Restricted(ADMINS),
        InHandler,
        wire(Some("ResetPasswordRequest"), None),
        || put(api::organizations::reset_password),
    );

    // API: the ledger.
    b.add(
        Api,
        Method::GET,
        "/api/v1/ledger",
        "ledger.read",
        "Ledger entries, newest first, filtered (auditors; the Big Data Center).",
        Access::Restricted(LEDGER_READERS),
        Read,
        Wire {
            query: Some("LedgerQuery"),
            ..wire(None, Some("LedgerPage"))
        },
        || get(api::ledger::list),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/ledger/verification",
        "ledger.verify",
        "Recompute the whole SM3 hash chain and report the first break.",
        Access::Restricted(LEDGER_VERIFIERS),
        Read,
        wire(None, Some("VerificationView")),
        || get(api::ledger::verify),
    );

    // API: data resources and the operation catalogue.
    b.add(
        Api,
        Method::GET,
        "/api/v1/themes",
        "catalogue.themes",
        "The catalogue's theme taxonomy.",
        public,
        Quiet,
        wire(None, Some("ThemeView[]")),
        || get(api::resources::themes),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/resources",
        "catalogue.list",
        "The operation catalogue: open resources for everyone, all for the signed-in.",
        public,
        Quiet,
        Wire {
            query: Some("CatalogueQuery"),
            ..wire(None, Some("ResourceView[]"))
        },
        || get(api::resources::catalogue),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/resources",
        "resource.create",
        "Describe a new resource of the caller's organisation (providers).",
        Access::Restricted(PROVIDER_WRITERS),
        InHandler,
        wire(Some("CreateResourceRequest"), Some("ResourceView")),
        || post(api::resources::create),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/resources/{code}",
        "catalogue.show",
        "One resource's catalogue entry.",
        public,
        Quiet,
        wire(None, Some("ResourceView")),
        || get(api::resources::show),
    );
    b.add(
        Api,
        Method::PUT,
        "/api/v1/resources/{code}",
        "resource.update",
        "Change a resource's description (its provider).",
        Access::Restricted(PROVIDER_WRITERS),
        InHandler,
        wire(Some("ResourceRequest"), Some("ResourceView")),
        || put(api::resources::update),
    );
    b.add(
        Api,
        Method::PUT,
        "/api/v1/resources/{code}/registration",
        "registration.record",
        "Edit the registration record, or register, change or cancel it (its provider).",
        Access::Restricted(PROVIDER_WRITERS),
        InHandler,
        wire(Some("RegistrationRequest"), Some("ResourceView")),
        || put(api::resources::register),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/registrations.csv",
        "registration.export",
        "Export the registration records the caller may see, as CSV.",
        Access::Restricted(DELIVERY_INSPECTORS),
        Read,
        NO_BODY,
        || get(api::resources::registrations_csv),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/resources/{code}/fields",
        "catalogue.fields",
        "A resource's fields with their classification and sensitivity.",
        public,
        Quiet,
        wire(None, Some("FieldView[]")),
        || get(api::resources::fields),
    );
    b.add(
        Api,
        Method::PUT,
        "/api/v1/resources/{code}/grading",
        "grading.decide",
        "Confirm or override the suggested grading (its provider; overrides need a reason).",
        Access::Restricted(PROVIDER_WRITERS),
        InHandler,
        wire(Some("GradingRequest"), Some("ResourceView")),
        || put(api::resources::grade),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/resources/{code}/versions",
        "version.list",
        "A resource's versions, newest first.",
        Access::Restricted(DELIVERY_INSPECTORS),
        Quiet,
        wire(None, Some("VersionView[]")),
        || get(api::resources::versions),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/resources/{code}/versions/{number}",
        "version.show",
        "One version with its schema and classification.",
        Access::Restricted(DELIVERY_INSPECTORS),
        Quiet,
        wire(None, Some("VersionView")),
        || get(api::resources::version),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/resources/{code}/comparison",
        "version.compare",
        "How two versions differ: schema and row count.",
        Access::Restricted(DELIVERY_INSPECTORS),
        Quiet,
        Wire {
            query: Some("CompareQuery"),
            ..wire(None, Some("VersionComparison"))
        },
        || get(api::resources::compare),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/resources/{code}/ingests",
        "ingest.list",
        "A resource's ingests, newest first, with progress.",
        Access::Restricted(DELIVERY_INSPECTORS),
        Quiet,
        wire(None, Some("IngestView[]")),
        || get(api::resources::ingests),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/ingests/{id}",
        "ingest.show",
        "One ingest: state, progress, error.",
        Access::Restricted(DELIVERY_INSPECTORS),
        Quiet,
        wire(None, Some("IngestView")),
        || get(api::resources::ingest),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/ingests/{id}/errors.csv",
        "ingest.errors",
        "The rows an ingest refused and why, as CSV.",
        Access::Restricted(DELIVERY_INSPECTORS),
        Read,
        NO_BODY,
        || get(api::resources::ingest_errors),
    );

    b.add(
        Api,
        Method::GET,
        "/api/v1/catalog.jsonld",
        "catalogue.dcat",
        "The catalogue as DCAT JSON-LD: open resources for everyone, all for the signed-in.",
        public,
        Quiet,
        NO_BODY,
        || get(api::ckan::dcat),
    );
    // CKAN clients send GET or POST alike; both only read.
    b.add(
        Api,
        Method::GET,
        "/api/3/action/{action}",
        "catalogue.ckan",
        "CKAN-compatible catalogue reads (package_list, package_search, package_show, organization_list, group_list, status_show), by GET or POST.",
        public,
        Quiet,
        NO_BODY,
        || get(api::ckan::action).post(api::ckan::action),
    );
    b.add(
        Api,
        Method::GET,
        "/api/action/{action}",
        "catalogue.ckan",
        "The same CKAN actions at the unversioned path CKAN also serves (the ckanapi client's default).",
        public,
        Quiet,
        NO_BODY,
        || get(api::ckan::action).post(api::ckan::action),
    );

    // Console: the catalogue.
    b.add(
        System,
        Method::GET,
        "/assets/deliver.js",
        "system.asset",
        "The console's upload script.",
        public,
        Quiet,
        NO_BODY,
        || get(console::assets::deliver_script),
    );
    b.add(
        System,
        Method::GET,
        "/assets/download.js",
        "system.asset",
        "The console's download script.",
        public,
        Quiet,
        NO_BODY,
        || get(console::assets::download_script),
    );
    b.add(
        Console,
        Method::GET,
        "/open-data",
        "console.open-data",
        "The public page of open resources.",
        public,
        Quiet,
        NO_BODY,
        || get(console::catalogue::open_data),
    );
    b.add(
        Console,
        Method::GET,
        "/catalogue",
        "console.catalogue",
        "The operation catalogue, searchable.",
        signed_in,
        Quiet,
        NO_BODY,
        || get(console::catalogue::catalogue),
    );
    b.add(
        Console,
        Method::GET,
        "/catalogue/new",
        "console.resource-new",
        "Form for a new resource (providers).",
        Access::Restricted(PROVIDER_WRITERS),
        Quiet,
        NO_BODY,
        || get(console::catalogue::new_resource_page),
    );
    b.add(
        Console,
        Method::POST,
        "/catalogue/new",
        "resource.create",
        "Describe a new resource (providers).",
        Access::Restricted(PROVIDER_WRITERS),
        InHandler,
        NO_BODY,
        || post(console::catalogue::create_resource),
    );
    b.add(
        Console,
        Method::GET,
        "/catalogue/{code}",
        "console.resource",
        "A resource's page: open ones for everyone.",
        public,
        Quiet,
        NO_BODY,
        || get(console::catalogue::resource_page),
    );
    b.add(
        Console,
        Method::POST,
        "/catalogue/{code}/grading",
        "grading.decide",
        "Confirm or override the grading (its provider).",
        Access::Restricted(PROVIDER_WRITERS),
        InHandler,
        NO_BODY,
        || post(console::catalogue::grade),
    );
    b.add(
        Console,
        Method::POST,
        "/catalogue/{code}/registration",
        "registration.record",
        "Edit or step the registration record (its provider).",
        Access::Restricted(PROVIDER_WRITERS),
        InHandler,
        NO_BODY,
        || post(console::catalogue::register),
    );
    b.add(
        Console,
        Method::POST,
        "/catalogue/{code}/deliveries",
        "delivery.upload",
        "Upload a delivery from the console (the body is the file).",
        Access::Restricted(FRONT_DELIVERERS),
        InHandler,
        NO_BODY,
        || post(console::catalogue::deliver),
    );
    b.add(
        Console,
        Method::GET,
        "/ingests/{id}",
        "console.ingest",
        "An ingest's report, refreshed while it runs.",
        Access::Restricted(DELIVERY_INSPECTORS),
        Quiet,
        NO_BODY,
        || get(console::catalogue::ingest_page),
    );

    // The front system, on its own listener.
    b.add(
        Front,
        Method::GET,
        "/front/v1/resources",
        "front.resources",
        "The resources this front-system key may deliver to.",
        Access::Restricted(FRONT_READERS),
        Quiet,
        wire(None, Some("ResourceView[]")),
        || get(api::front::resources),
    );
    b.add(
        Front,
        Method::POST,
        "/front/v1/resources/{code}/deliveries",
        "delivery.push",
        "Deliver a file (the request body) to a resource: CSV, XLSX, JSON, NDJSON or Parquet.",
        Access::Restricted(FRONT_DELIVERERS),
        InHandler,
        Wire {
            query: Some("DeliveryQuery"),
            ..wire(None, Some("DeliveryReceipt"))
        },
        || post(api::front::push),
    );
    b.add(
        Front,
        Method::POST,
        "/front/v1/resources/{code}/pulls",
        "pull.create",
        "Schedule pulls of a resource's data from an HTTP(S) URL or a PostgreSQL table.",
        Access::Restricted(FRONT_DELIVERERS),
        InHandler,
        wire(Some("PullRequest"), Some("PullView")),
        || post(api::front::create_pull),
    );
    b.add(
        Front,
        Method::GET,
        "/front/v1/pulls",
        "pull.list",
        "The scheduled pulls this key may manage, with their last results.",
        Access::Restricted(FRONT_READERS),
        Quiet,
        wire(None, Some("PullView[]")),
        || get(api::front::pulls),
    );
    b.add(
        Front,
        Method::DELETE,
        "/front/v1/pulls/{id}",
        "pull.delete",
        "Stop a scheduled pull.",
        Access::Restricted(FRONT_DELIVERERS),
        InHandler,
        NO_BODY,
        || delete(api::front::delete_pull),
    );
    b.add(
        Front,
        Method::POST,
        "/front/v1/pulls/{id}/run",
        "pull.run",
        "Run a pull now, outside its schedule.",
        Access::Restricted(FRONT_DELIVERERS),
        InHandler,
        wire(None, Some("DeliveryReceipt")),
        || post(api::front::run_pull),
    );
    b.add(
        Front,
        Method::GET,
        "/front/v1/ingests/{id}",
        "front.ingest",
        "One ingest's state and progress.",
        Access::Restricted(FRONT_READERS),
        Quiet,
        wire(None, Some("IngestView")),
        || get(api::front::ingest),
    );

    // Console.
    b.add(
        Console,
        Method::GET,
        "/",
        "console.index",
        "Start page.",
        public,
        Quiet,
        NO_BODY,
        || get(console::auth::index),
    );
    b.add(
        Console,
        Method::GET,
        "/login",
        "console.login-page",
        "Sign-in page.",
        public,
        Quiet,
        NO_BODY,
        || get(console::auth::login_page),
    );
    b.add(
        Console,
        Method::POST,
        "/login",
        "session.create",
        "Sign in to the console.",
        public,
        InHandler,
        NO_BODY,
        || post(console::auth::login),
    );
    b.add(
        Console,
        Method::POST,
        "/logout",
        "session.revoke",
        "Sign out of the console.",
        signed_in,
        InHandler,
        NO_BODY,
        || post(console::auth::logout),
    );
    b.add(
        Console,
        Method::GET,
        "/lang/{lang}",
        "console.language",
        "Switch language.",
        public,
        Quiet,
        NO_BODY,
        || get(console::auth::switch_language),
    );
    b.add(
        Console,
        Method::GET,
        "/home",
        "console.home",
        "Go to one's own workbench.",
        signed_in,
        Quiet,
        NO_BODY,
        || get(console::home::home),
    );
    for (party, path) in console::home::WORKBENCHES {
        let access = match party {
            P::Operator => only!(P::Operator),
            P::Governance => only!(P::Governance),
            P::Economy => only!(P::Economy),
            P::BigDataCenter => only!(P::BigDataCenter),
            P::Provider => only!(P::Provider),
            P::User => only!(P::User),
            P::Expert => only!(P::Expert),
        };
        b.add(
            Console,
            Method::GET,
            path,
            "console.workbench",
            "A party's workbench.",
            access,
            Quiet,
            NO_BODY,
            console::home::workbench_route(party),
        );
    }
    b.add(
        Console,
        Method::GET,
        "/settings",
        "console.settings",
        "Account settings.",
        signed_in,
        Quiet,
        NO_BODY,
        || get(console::settings::page),
    );
    b.add(
        Console,
        Method::POST,
        "/settings/password",
        "account.change-password",
        "Change one's own password.",
        signed_in,
        InHandler,
        NO_BODY,
        || post(console::settings::change_password),
    );
    b.add(
        Console,
        Method::POST,
        "/settings/api-keys",
        "api-key.create",
        "Create an API key.",
        signed_in,
        InHandler,
        NO_BODY,
        || post(console::settings::create_api_key),
    );
    b.add(
        Console,
        Method::POST,
        "/settings/api-keys/{id}/revoke",
        "api-key.revoke",
        "Revoke an API key.",
        signed_in,
        InHandler,
        NO_BODY,
        || post(console::settings::revoke_api_key),
    );
    b.add(
        Console,
        Method::GET,
        "/accounts",
        "account.list",
        "Account administration.",
        Access::Restricted(ADMINS),
        Read,
        NO_BODY,
        || get(console::accounts::page),
    );
    b.add(
        Console,
        Method::POST,
        "/accounts",
        "account.create",
        "Create an account.",
        Access::Restricted(ADMINS),
        InHandler,
        NO_BODY,
        || post(console::accounts::create),
    );
    b.add(
        Console,
        Method::POST,
        "/accounts/{id}/disable",
        "account.disable",
        "Disable an account.",
        Access::Restricted(ADMINS),
        InHandler,
        NO_BODY,
        || post(console::accounts::disable),
    );
    b.add(
        Console,
        Method::POST,
        "/accounts/{id}/enable",
        "account.enable",
        "Enable an account.",
        Access::Restricted(ADMINS),
        InHandler,
        NO_BODY,
        || post(console::accounts::enable),
    );
    b.add(
        Console,
        Method::POST,
        "/accounts/{id}/password",
        "account.reset-password",
        "Reset an account's password.",
        Access::Restricted(ADMINS),
        InHandler,
        NO_BODY,
        || post(console::accounts::reset_password),
    );
    b.add(
        Console,
        Method::GET,
        "/ledger",
        "ledger.read",
        "The ledger viewer.",
        Access::Restricted(LEDGER_READERS),
        Read,
        NO_BODY,
        || get(console::ledger::page),
    );
    workflow::add(&mut b);
    products::add(&mut b);
    sandbox::add(&mut b);
    products::add_console(&mut b);
    sandbox::add_console(&mut b);
    workflow::add_console(&mut b);
    b.0
}

static ROUTES: LazyLock<Vec<RouteSpec>> = LazyLock::new(table);

/// Every route of the server.
pub fn routes() -> &'static [RouteSpec] {
    &ROUTES
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_route_is_declared_once() {
        let mut seen = HashSet::new();
        for r in routes() {
            assert!(
                seen.insert((r.method.clone(), r.path)),
                "{} {} declared twice",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn surfaces_follow_paths() {
        for r in routes() {
            if r.path.starts_with("/api/v1/") && r.surface != Surface::System {
                assert_eq!(r.surface, Surface::Api, "{}", r.path);
            }
            if r.surface == Surface::Api {
                assert!(r.path.starts_with("/api/"), "{}", r.path);
            }
            assert_eq!(
                r.surface == Surface::Front,
                r.path.starts_with("/front/"),
                "{}",
                r.path
            );
        }
    }

    #[test]
    fn changes_are_never_quiet() {
        for r in routes() {
            if r.method != Method::GET {
                assert!(
                    matches!(r.audit, Audit::InHandler | Audit::DataCall),
                    "{} {} changes state: its handler ledgers it",
                    r.method,
                    r.path
                );
            }
        }
    }
}
