//! Routes of products and services (Art. 5, 15, 17): the catalogue of
//! products and its price list, the data calls behind API keys, the Big
//! Data Center's suspensions, usage and statements. The grants say which
//! parties reach a route; `rongshu_products` checks the rest.

use axum::http::Method;
use axum::routing::{get, post, put};
use rongshu_domain::{Access, Grant, PartyType as P, Role};
use rongshu_products::consulting::MAX_FILE_BYTES;

use super::{Audit::*, Builder, NO_BODY, Surface::Api, Surface::Console, Wire, file_body, wire};
use crate::api::products as h;

const ACTING: &[Role] = &[Role::Admin, Role::Staff];

const OPERATOR_WRITERS: &[Grant] = &[Grant::new(&[P::Operator], ACTING)];
const PROVIDER_WRITERS: &[Grant] = &[Grant::new(&[P::Provider], ACTING)];
const CENTER_WRITERS: &[Grant] = &[Grant::new(&[P::BigDataCenter], ACTING)];
/// Whoever holds an agreement may call: users, and departments using
/// other departments' data.
const CALLERS: &[Grant] = &[Grant::new(&[P::User, P::Provider], ACTING)];
/// Suspensions concern the operator, the providers, the users and the
/// supervisors alike.
const SUSPENSION_READERS: &[Grant] = &[Grant::new(
    &[
        P::Operator,
        P::BigDataCenter,
        P::Governance,
        P::Economy,
        P::Provider,
        P::User,
    ],
    &Role::ALL,
)];

/// A consulting order's two sides.
const CONSULTING_WRITERS: &[Grant] = &[Grant::new(&[P::User, P::Provider, P::Operator], ACTING)];
const FEEDBACK_FOLLOWERS: &[Grant] = &[Grant::new(
    &[P::Operator, P::BigDataCenter, P::Governance],
    &Role::ALL,
)];

fn reply(name: &'static str) -> Wire {
    wire(None, Some(name))
}

pub(super) fn add(b: &mut Builder) {
    let r = Access::Restricted;
    let signed_in = Access::SIGNED_IN;
    b.add(
        Api,
        Method::GET,
        "/api/v1/products",
        "product.list",
        "Every product with its modes, fields, pipeline, price and reference examples.",
        signed_in,
        Quiet,
        reply("ProductView[]"),
        || get(h::products),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/products",
        "product.create",
        "Build a product on an authorization (the operator); refused when it exceeds it.",
        r(OPERATOR_WRITERS),
        InHandler,
        wire(Some("ProductRequest"), Some("ProductView")),
        || post(h::create_product),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/products/preview",
        "product.preview",
        "A draft's first rows before and after its pipeline, checked as saving checks (the operator; ledgered: it shows delivered data).",
        r(OPERATOR_WRITERS),
        InHandler,
        Wire {
            body: Some("ProductRequest"),
            reply: Some("PreviewView"),
            query: Some("PreviewQuery"),
        },
        || post(h::preview_product),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/products/{code}",
        "product.show",
        "One product and its generated reference: each mode with curl and Python examples.",
        signed_in,
        Quiet,
        reply("ProductView"),
        || get(h::product),
    );
    b.add(
        Api,
        Method::PUT,
        "/api/v1/products/{code}",
        "product.update",
        "Change a product at its current revision (the operator).",
        r(OPERATOR_WRITERS),
        InHandler,
        wire(Some("ProductRequest"), Some("ProductView")),
        || put(h::update_product),
    );
    b.add(
        Api,
        Method::PUT,
        "/api/v1/products/{code}/price-cap",
        "product.price-cap",
        "The authorizing side's price cap (the provider of the product's data).",
        r(PROVIDER_WRITERS),
        InHandler,
        wire(Some("PriceCapRequest"), Some("ProductView")),
        || put(h::set_price_cap),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/products/{code}/withdraw",
        "product.withdraw",
        "Withdraw a product from service, for good, with the reason (the operator).",
        r(OPERATOR_WRITERS),
        InHandler,
        wire(Some("WithdrawRequest"), Some("ProductView")),
        || post(h::withdraw),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/products/{code}/query",
        "product.query",
        "Query API: rows matching every declared parameter, de-identified, with the citation line.",
        r(CALLERS),
        DataCall,
        wire(Some("QueryRequest"), Some("QueryResult")),
        || post(h::query),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/products/{code}/verify",
        "product.verify",
        "Verification API: match or no match per field, never stored data.",
        r(CALLERS),
        DataCall,
        wire(Some("VerifyRequest"), Some("VerifyResult")),
        || post(h::verify),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/products/{code}/download",
        "product.download",
        "A ZIP of the de-identified data in the chosen format with metadata.json (citation, lineage, reports), streamed.",
        r(CALLERS),
        DataCall,
        Wire {
            query: Some("DownloadQuery"),
            ..NO_BODY
        },
        || get(h::download),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/price-list",
        "product.price-list",
        "The published price list: what each product costs per unit; government users pay nothing.",
        Access::Public,
        Quiet,
        reply("PriceView[]"),
        || get(h::price_list),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/suspensions",
        "suspension.list",
        "Suspensions of supply, open and resumed.",
        r(SUSPENSION_READERS),
        Quiet,
        reply("SuspensionView[]"),
        || get(h::suspensions),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/suspensions",
        "suspension.create",
        "Suspend supply per resource, provider, user organisation or platform-wide, with findings (the Big Data Center).",
        r(CENTER_WRITERS),
        InHandler,
        wire(Some("SuspensionRequest"), Some("SuspensionView")),
        || post(h::suspend),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/suspensions/{id}/rectification",
        "suspension.rectify",
        "The operator's account of its rectification.",
        r(OPERATOR_WRITERS),
        InHandler,
        wire(Some("RectificationRequest"), Some("SuspensionView")),
        || post(h::rectify),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/suspensions/{id}/resume",
        "suspension.resume",
        "Resume supply (the Big Data Center).",
        r(CENTER_WRITERS),
        InHandler,
        reply("SuspensionView"),
        || post(h::resume),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/usage",
        "usage.list",
        "Metered use per product, organisation and day: the caller's own, or all for the operator and supervisors.",
        signed_in,
        Quiet,
        Wire {
            query: Some("UsageQuery"),
            ..reply("UsageView[]")
        },
        || get(h::usage),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/products/{code}/consulting",
        "consulting.open",
        "Open a consulting work order on a consulting product, under the caller's agreement.",
        r(CALLERS),
        InHandler,
        wire(Some("ConsultingRequest"), Some("ConsultingOrderView")),
        || post(h::open_consulting),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/consulting",
        "consulting.list",
        "Consulting orders: the caller's own, all for the operator and supervisors.",
        signed_in,
        Quiet,
        reply("ConsultingOrderView[]"),
        || get(h::consulting_orders),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/consulting/{id}",
        "consulting.show",
        "One consulting order with its messages.",
        signed_in,
        Quiet,
        reply("ConsultingOrderView"),
        || get(h::consulting_order),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/consulting/{id}/messages",
        "consulting.reply",
        "A message on an order (its user or the operator).",
        r(CONSULTING_WRITERS),
        InHandler,
        wire(Some("MessageRequest"), Some("ConsultingMessageView")),
        || post(h::reply),
    );
    b.add(
        Api,
        Method::PUT,
        "/api/v1/consulting/{id}/deliverable",
        "consulting.deliverable",
        "A deliverable file (the body) with its message; sealed at rest.",
        r(CONSULTING_WRITERS),
        InHandler,
        Wire {
            query: Some("DeliverableQuery"),
            ..reply("ConsultingMessageView")
        },
        || file_body(put(h::deliver_file), MAX_FILE_BYTES),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/consulting/{id}/close",
        "consulting.close",
        "Close an order (its user or the operator).",
        r(CONSULTING_WRITERS),
        InHandler,
        reply("ConsultingOrderView"),
        || post(h::close_consulting),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/consulting/messages/{id}/file",
        "consulting.file",
        "Download a deliverable file (the order's user and the operator side).",
        signed_in,
        InHandler,
        NO_BODY,
        || get(h::deliverable),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/products/{code}/feedback",
        "feedback.file",
        "Report what was made with a product's data: product, report, paper or application (Art. 15).",
        r(CALLERS),
        InHandler,
        wire(Some("FeedbackRequest"), Some("FeedbackView")),
        || post(h::file_feedback),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/products/{code}/feedback/file",
        "feedback.file",
        "Report what was made with a product's data with the work itself as a file (the body; sealed at rest), a link optional.",
        r(CALLERS),
        InHandler,
        Wire {
            query: Some("FeedbackFileQuery"),
            ..reply("FeedbackView")
        },
        || file_body(post(h::file_feedback_with_file), MAX_FILE_BYTES),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/feedback/{id}/file",
        "feedback.file.read",
        "Download a feedback's file (the organisation that filed it, the operator and supervisors; ledgered).",
        signed_in,
        InHandler,
        NO_BODY,
        || get(h::feedback_file),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/feedback",
        "feedback.list",
        "Usage feedback: the caller's own, all for the operator and supervisors.",
        signed_in,
        Quiet,
        reply("FeedbackView[]"),
        || get(h::feedback),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/feedback/overdue",
        "feedback.overdue",
        "Users whose feedback is overdue (90 days after first use).",
        r(FEEDBACK_FOLLOWERS),
        Quiet,
        reply("OverdueFeedbackView[]"),
        || get(h::overdue_feedback),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/statements/{org_id}/{month}",
        "statement.show",
        "An organisation's monthly statement (its own; all for the operator and supervisors).",
        signed_in,
        Read,
        reply("StatementView"),
        || get(h::statement),
    );
}

pub(super) fn add_console(b: &mut Builder) {
    use crate::console::consulting as k;
    use crate::console::feedback as fb;
    use crate::console::product_form as f;
    use crate::console::products as c;
    use crate::console::supply as s;
    let signed_in = Access::SIGNED_IN;
    b.add(
        Console,
        Method::GET,
        "/products",
        "product.list",
        "Products with their modes and prices.",
        signed_in,
        Quiet,
        NO_BODY,
        || get(c::products_page),
    );
    b.add(
        Console,
        Method::GET,
        "/products/new",
        "product.new",
        "The product form (the operator).",
        Access::Restricted(OPERATOR_WRITERS),
        Quiet,
        NO_BODY,
        || get(f::new_product_page),
    );
    b.add(
        Console,
        Method::POST,
        "/products",
        "product.create",
        "Preview or save a new product.",
        Access::Restricted(OPERATOR_WRITERS),
        InHandler,
        NO_BODY,
        || post(f::submit_product),
    );
    b.add(
        Console,
        Method::GET,
        "/products/{code}/edit",
        "product.edit",
        "The product form, filled with the product (the operator).",
        Access::Restricted(OPERATOR_WRITERS),
        Quiet,
        NO_BODY,
        || get(f::edit_product_page),
    );
    b.add(
        Console,
        Method::POST,
        "/products/{code}",
        "product.update",
        "Preview or save a change to a product.",
        Access::Restricted(OPERATOR_WRITERS),
        InHandler,
        NO_BODY,
        || post(f::submit_product),
    );
    b.add(
        Console,
        Method::GET,
        "/products/{code}",
        "product.show",
        "One product: pipeline, prices, call reference and download.",
        signed_in,
        Quiet,
        NO_BODY,
        || get(c::product_page),
    );
    b.add(
        Console,
        Method::GET,
        "/products/{code}/download",
        "product.download",
        "The download package, streamed to the console's script.",
        Access::Restricted(CALLERS),
        InHandler,
        Wire {
            query: Some("DownloadQuery"),
            ..NO_BODY
        },
        || get(h::download),
    );
    b.add(
        Console,
        Method::GET,
        "/suspensions",
        "suspension.list",
        "Suspensions of supply, with the steps the viewer's party takes.",
        Access::Restricted(SUSPENSION_READERS),
        Quiet,
        NO_BODY,
        || get(s::suspensions_page),
    );
    b.add(
        Console,
        Method::POST,
        "/suspensions",
        "suspension.create",
        "Suspend supply (the Big Data Center).",
        Access::Restricted(CENTER_WRITERS),
        InHandler,
        NO_BODY,
        || post(s::suspend),
    );
    b.add(
        Console,
        Method::POST,
        "/suspensions/{id}/rectification",
        "suspension.rectify",
        "Record the operator's rectification.",
        Access::Restricted(OPERATOR_WRITERS),
        InHandler,
        NO_BODY,
        || post(s::rectify),
    );
    b.add(
        Console,
        Method::POST,
        "/suspensions/{id}/resume",
        "suspension.resume",
        "Resume supply (the Big Data Center).",
        Access::Restricted(CENTER_WRITERS),
        InHandler,
        NO_BODY,
        || post(s::resume),
    );
    b.add(
        Console,
        Method::GET,
        "/usage",
        "usage.list",
        "Metered use by month, per product and per organisation, with the viewer's statement.",
        signed_in,
        Quiet,
        NO_BODY,
        || get(s::usage_page),
    );
    b.add(
        Console,
        Method::GET,
        "/consulting",
        "consulting.list",
        "Consulting orders the viewer may see, and the form to open one.",
        signed_in,
        Quiet,
        NO_BODY,
        || get(k::orders_page),
    );
    b.add(
        Console,
        Method::POST,
        "/consulting",
        "consulting.open",
        "Open a consulting order (a user under its agreement).",
        Access::Restricted(CALLERS),
        InHandler,
        NO_BODY,
        || post(k::open_order),
    );
    b.add(
        Console,
        Method::GET,
        "/consulting/{id}",
        "consulting.show",
        "One order with its messages and deliverables.",
        signed_in,
        Quiet,
        NO_BODY,
        || get(k::order_page),
    );
    b.add(
        Console,
        Method::POST,
        "/consulting/{id}/messages",
        "consulting.reply",
        "A message on an order.",
        Access::Restricted(CONSULTING_WRITERS),
        InHandler,
        NO_BODY,
        || post(k::reply),
    );
    b.add(
        Console,
        Method::POST,
        "/consulting/{id}/deliverable",
        "consulting.deliverable",
        "A deliverable file (the body, streamed by the page's script) with its message.",
        Access::Restricted(CONSULTING_WRITERS),
        InHandler,
        Wire {
            query: Some("DeliverableQuery"),
            ..NO_BODY
        },
        || file_body(post(k::deliver_file), MAX_FILE_BYTES),
    );
    b.add(
        Console,
        Method::POST,
        "/consulting/{id}/close",
        "consulting.close",
        "Close an order.",
        Access::Restricted(CONSULTING_WRITERS),
        InHandler,
        NO_BODY,
        || post(k::close),
    );
    b.add(
        Console,
        Method::GET,
        "/consulting/messages/{id}/file",
        "consulting.file",
        "Download a deliverable file (the order's user and the operator side).",
        signed_in,
        InHandler,
        NO_BODY,
        || get(k::file),
    );
    b.add(
        Console,
        Method::GET,
        "/feedback",
        "feedback.list",
        "Usage feedback filed, and for those who follow it, what is overdue.",
        signed_in,
        Quiet,
        NO_BODY,
        || get(fb::feedback_page),
    );
    b.add(
        Console,
        Method::POST,
        "/products/{code}/feedback",
        "feedback.file",
        "File usage feedback on a product.",
        Access::Restricted(CALLERS),
        InHandler,
        NO_BODY,
        || post(fb::file_feedback),
    );
    b.add(
        Console,
        Method::POST,
        "/products/{code}/feedback/file",
        "feedback.file",
        "File usage feedback with a file (the body is the file; /assets/deliver.js sends it with the CSRF token).",
        Access::Restricted(CALLERS),
        InHandler,
        NO_BODY,
        || file_body(post(fb::file_feedback_with_file), MAX_FILE_BYTES),
    );
    b.add(
        Console,
        Method::GET,
        "/feedback/{id}/file",
        "feedback.file.read",
        "Download a feedback's file.",
        signed_in,
        InHandler,
        NO_BODY,
        || get(fb::feedback_file),
    );
    b.add(
        Console,
        Method::POST,
        "/products/{code}/withdraw",
        "product.withdraw",
        "Withdraw a product from service, with the reason (the operator).",
        Access::Restricted(OPERATOR_WRITERS),
        InHandler,
        NO_BODY,
        || post(fb::withdraw),
    );
    b.add(
        Console,
        Method::POST,
        "/products/{code}/price-cap",
        "product.price-cap",
        "Set or remove the price cap (the provider of the product's data).",
        Access::Restricted(PROVIDER_WRITERS),
        InHandler,
        NO_BODY,
        || post(fb::set_price_cap),
    );
}
