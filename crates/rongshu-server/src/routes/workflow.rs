//! Routes of the demand → authorization → delivery workflow. The grants
//! say which parties reach a route at all; the workflow checks which
//! records and steps are theirs.

use axum::http::Method;
use axum::routing::{delete, get, post, put};
use rongshu_domain::{Access, Grant, PartyType as P, Role};
use rongshu_workflow::MAX_EVIDENCE_BYTES;

use super::{Audit::*, Builder, NO_BODY, Surface::Api, Surface::Console, Wire, file_body, wire};
use crate::api::workflow as w;

const ACTING: &[Role] = &[Role::Admin, Role::Staff];

/// An organisation's administrators (of their own organisation).
const ADMINS: &[Grant] = &[Grant::new(&P::ALL, &[Role::Admin])];
const USERS: &[Grant] = &[Grant::new(&[P::User], &Role::ALL)];

/// Users and the operator, who files on users' behalf (Art. 11).
const DEMAND_WRITERS: &[Grant] = &[Grant::new(&[P::User, P::Operator], ACTING)];
const OPERATOR_WRITERS: &[Grant] = &[Grant::new(&[P::Operator], ACTING)];
const OFFICE_WRITERS: &[Grant] = &[Grant::new(&[P::Governance], ACTING)];
const PROVIDER_WRITERS: &[Grant] = &[Grant::new(&[P::Provider], ACTING)];
/// The operator gathers lists; the Office reviews them.
const LIST_READERS: &[Grant] = &[Grant::new(
    &[P::Operator, P::Governance, P::Economy],
    &Role::ALL,
)];
/// Providers (their own), the operator and the supervisors.
const AUTHORIZATION_READERS: &[Grant] = &[Grant::new(
    &[
        P::Provider,
        P::Operator,
        P::Governance,
        P::Economy,
        P::BigDataCenter,
        P::Expert,
    ],
    &Role::ALL,
)];
/// The operator reports to the Office and the Committee; the Big Data
/// Center inspects at any time (Art. 17).
const REPORT_READERS: &[Grant] = &[Grant::new(
    &[P::Operator, P::Governance, P::Economy, P::BigDataCenter],
    &Role::ALL,
)];
const SIGNERS: &[Grant] = &[Grant::new(
    &[P::Operator, P::BigDataCenter, P::Provider, P::User],
    ACTING,
)];
/// The two sides and the coordinators and experts of Art. 19.
const DISPUTE_PARTIES: &[Grant] = &[Grant::new(
    &[
        P::Provider,
        P::Operator,
        P::Governance,
        P::Economy,
        P::Expert,
    ],
    &Role::ALL,
)];
const DISPUTE_ACTORS: &[Grant] = &[Grant::new(
    &[
        P::Provider,
        P::Operator,
        P::Governance,
        P::Economy,
        P::Expert,
    ],
    ACTING,
)];

fn reply(name: &'static str) -> Wire {
    wire(None, Some(name))
}

pub(super) fn add(b: &mut Builder) {
    let signed_in = Access::SIGNED_IN;
    let r = Access::Restricted;
    let admins = r(ADMINS);
    b.add(
        Api,
        Method::GET,
        "/api/v1/me/webhooks",
        "webhook.list",
        "The caller's organisation's webhooks (its administrators).",
        admins,
        Quiet,
        reply("WebhookView[]"),
        || get(w::webhooks),
    );
    b.add(Api, Method::POST, "/api/v1/me/webhooks", "webhook.create",
        "Post every notice of the organisation to a URL, signed with HMAC-SM3; the secret is shown once.",
        admins, InHandler, wire(Some("WebhookRequest"), Some("WebhookCreated")), || post(w::add_webhook));
    b.add(
        Api,
        Method::DELETE,
        "/api/v1/me/webhooks/{id}",
        "webhook.disable",
        "Stop posting to a webhook.",
        admins,
        InHandler,
        NO_BODY,
        || delete(w::remove_webhook),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/workflow/report",
        "workflow.report",
        "Where demands stand and how many stages are overdue (operator, supervisors, Big Data Center).",
        r(REPORT_READERS),
        Read,
        reply("ReportView"),
        || get(w::report),
    );
    b.add(Api, Method::GET, "/api/v1/demands", "demand.list",
        "Demands the caller may see: a user's own, those a provider was asked about, all for the operator and supervisors.",
        signed_in, Quiet, reply("DemandView[]"), || get(w::demands));
    b.add(
        Api,
        Method::POST,
        "/api/v1/demands",
        "demand.create",
        "File a demand (users; the operator on a user's behalf), optionally submitting it.",
        r(DEMAND_WRITERS),
        InHandler,
        wire(Some("DemandRequest"), Some("DemandDetail")),
        || post(w::file_demand),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/demands/{id}",
        "demand.show",
        "One demand with each provider's answer and due date.",
        signed_in,
        Quiet,
        reply("DemandDetail"),
        || get(w::show_demand),
    );
    b.add(
        Api,
        Method::PUT,
        "/api/v1/demands/{id}",
        "demand.update",
        "Rewrite a draft or returned demand.",
        r(DEMAND_WRITERS),
        InHandler,
        wire(Some("DemandRequest"), Some("DemandDetail")),
        || put(w::edit_demand),
    );
    b.add(Api, Method::PUT, "/api/v1/demands/{id}/consent-evidence", "demand.consent-evidence",
        "Attach the data subjects' consent as a file (the body; the author, while the demand can change).",
        r(DEMAND_WRITERS), InHandler, Wire { query: Some("EvidenceQuery"), ..reply("EvidenceView") }, || file_body(put(w::put_evidence), MAX_EVIDENCE_BYTES));
    b.add(
        Api,
        Method::GET,
        "/api/v1/demands/{id}/consent-evidence",
        "demand.consent-evidence.read",
        "Download the consent evidence file (whoever may see the demand).",
        signed_in,
        Read,
        NO_BODY,
        || get(w::get_evidence),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/demands/{id}/steps",
        "demand.step",
        "Submit or withdraw (the user), accept, return, reject or requeue (the operator).",
        r(DEMAND_WRITERS),
        InHandler,
        wire(Some("DemandStepRequest"), Some("DemandDetail")),
        || post(w::demand_step),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/demands/{id}/review",
        "demand.review",
        "The Governance Office passes or returns an item of a submitted demand list.",
        r(OFFICE_WRITERS),
        InHandler,
        wire(Some("ReviewRequest"), Some("DemandDetail")),
        || post(w::review),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/demand-lists",
        "demand-list.list",
        "Demand lists with the Office's review deadline.",
        r(LIST_READERS),
        Quiet,
        reply("DemandListView[]"),
        || get(w::lists),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/demand-lists",
        "demand-list.create",
        "Open a demand list for a period (the operator).",
        r(OPERATOR_WRITERS),
        InHandler,
        wire(Some("ListRequest"), Some("DemandListView")),
        || post(w::create_list),
    );
    b.add(
        Api,
        Method::PUT,
        "/api/v1/demand-lists/{id}/demands/{demand}",
        "demand-list.add",
        "Put an accepted demand on a draft list.",
        r(OPERATOR_WRITERS),
        InHandler,
        reply("DemandDetail"),
        || put(w::list_demand),
    );
    b.add(
        Api,
        Method::DELETE,
        "/api/v1/demand-lists/{id}/demands/{demand}",
        "demand-list.remove",
        "Take a demand off a draft list.",
        r(OPERATOR_WRITERS),
        InHandler,
        reply("DemandDetail"),
        || delete(w::unlist_demand),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/demand-lists/{id}/submit",
        "demand-list.submit",
        "Send a list to the Governance Office, due in its working days.",
        r(OPERATOR_WRITERS),
        InHandler,
        reply("DemandListView"),
        || post(w::submit_list),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/assessments",
        "assessment.list",
        "Providers' answers: a provider's own queue, all for the operator and supervisors.",
        r(AUTHORIZATION_READERS),
        Quiet,
        reply("AssessmentView[]"),
        || get(w::assessments),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/assessments/{id}/answer",
        "assessment.answer",
        "Authorize with conditions, or refuse with legal grounds (the provider asked).",
        r(PROVIDER_WRITERS),
        InHandler,
        wire(Some("AnswerRequest"), Some("DemandDetail")),
        || post(w::answer),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/authorizations",
        "authorization.list",
        "Authorizations: a provider's own, all for the operator and supervisors.",
        r(AUTHORIZATION_READERS),
        Quiet,
        reply("AuthorizationView[]"),
        || get(w::authorizations),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/authorizations/{id}",
        "authorization.show",
        "One authorization.",
        r(AUTHORIZATION_READERS),
        Quiet,
        reply("AuthorizationView"),
        || get(w::show_authorization),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/authorizations/{id}/terminate",
        "authorization.terminate",
        "End an authorization with stated grounds (its provider); everything built on it stops.",
        r(PROVIDER_WRITERS),
        InHandler,
        wire(Some("TerminateRequest"), Some("AuthorizationView")),
        || post(w::terminate),
    );
    b.add(Api, Method::GET, "/api/v1/delivery-tasks", "delivery-task.list",
        "Delivery tasks with their deadlines: a provider's own, all for the operator and supervisors.",
        r(AUTHORIZATION_READERS), Quiet, reply("DeliveryTaskView[]"), || get(w::delivery_tasks));
    b.add(
        Api,
        Method::GET,
        "/api/v1/agreements",
        "agreement.list",
        "Agreements the caller's organisation is party to (all for the operator and supervisors).",
        signed_in,
        Quiet,
        reply("AgreementView[]"),
        || get(w::agreements),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/agreements/{id}",
        "agreement.show",
        "One agreement with its text, digest and signatures.",
        signed_in,
        Quiet,
        reply("AgreementView"),
        || get(w::show_agreement),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/agreements/{id}/sign",
        "agreement.sign",
        "Sign for the caller's organisation with its SM2 key.",
        r(SIGNERS),
        InHandler,
        reply("AgreementView"),
        || post(w::sign),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/agreements/{id}/export",
        "agreement.export",
        "The agreement as a file for `rongshu agreement verify`.",
        signed_in,
        Read,
        NO_BODY,
        || get(w::export),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/disputes",
        "dispute.list",
        "Disputes: a provider's own, all for the operator, coordinators and experts.",
        r(DISPUTE_PARTIES),
        Quiet,
        reply("DisputeView[]"),
        || get(w::disputes),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/disputes",
        "dispute.raise",
        "Raise a dispute about an authorization (its provider or the operator).",
        r(DISPUTE_ACTORS),
        InHandler,
        wire(Some("DisputeRequest"), Some("DisputeView")),
        || post(w::raise_dispute),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/disputes/{id}/steps",
        "dispute.step",
        "Take up, request or give an expert opinion, resolve, or withdraw.",
        r(DISPUTE_ACTORS),
        InHandler,
        wire(Some("DisputeStepRequest"), Some("DisputeView")),
        || post(w::dispute_step),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/notifications",
        "notification.list",
        "The caller's inbox with its unread count.",
        signed_in,
        Quiet,
        reply("Inbox"),
        || get(w::inbox),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/notifications/read",
        "notification.read",
        "Mark one notice, or all, read for the caller.",
        signed_in,
        InHandler,
        wire(Some("ReadRequest"), Some("Inbox")),
        || post(w::mark_read),
    );
    b.add(Api, Method::GET, "/api/v1/uses/{code}", "use.check",
        "Whether the caller's organisation may use a resource by a mode: the check every use of data passes.",
        r(USERS), Read,
        Wire { query: Some("UseQuery"), ..reply("UseView") }, || get(w::use_check));
}

/// The console's workflow pages; forms post back to them.
pub(super) fn add_console(b: &mut Builder) {
    use crate::console::{agreements as a, demands as d};
    let signed_in = Access::SIGNED_IN;
    let r = Access::Restricted;
    let page = |b: &mut Builder, path, action, summary, access, handler| {
        b.add(
            Console,
            Method::GET,
            path,
            action,
            summary,
            access,
            Quiet,
            NO_BODY,
            handler,
        )
    };
    let form = |b: &mut Builder, path, action, summary, access, handler| {
        b.add(
            Console,
            Method::POST,
            path,
            action,
            summary,
            access,
            InHandler,
            NO_BODY,
            handler,
        )
    };
    page(
        b,
        "/demands",
        "demand.list",
        "Demands the viewer may see.",
        signed_in,
        || get(d::demands_page),
    );
    page(
        b,
        "/demands/new",
        "demand.new",
        "The demand form.",
        r(DEMAND_WRITERS),
        || get(d::new_demand_page),
    );
    form(
        b,
        "/demands",
        "demand.create",
        "File a demand.",
        r(DEMAND_WRITERS),
        || post(d::create_demand),
    );
    page(
        b,
        "/demands/{id}",
        "demand.show",
        "One demand and the steps its viewer may take.",
        signed_in,
        || get(d::demand_page),
    );
    form(
        b,
        "/demands/{id}/consent-evidence",
        "demand.consent-evidence",
        "Upload the consent evidence file.",
        r(DEMAND_WRITERS),
        || file_body(post(d::upload_evidence), MAX_EVIDENCE_BYTES),
    );
    b.add(
        Console,
        Method::GET,
        "/demands/{id}/consent-evidence",
        "demand.consent-evidence.read",
        "Download the consent evidence file.",
        signed_in,
        Read,
        NO_BODY,
        || get(d::download_evidence),
    );
    form(
        b,
        "/demands/{id}/steps",
        "demand.step",
        "Submit, withdraw, accept, return, reject or requeue.",
        r(DEMAND_WRITERS),
        || post(d::demand_step),
    );
    form(
        b,
        "/demands/{id}/review",
        "demand.review",
        "The Office passes or returns a listed demand.",
        r(OFFICE_WRITERS),
        || post(d::review),
    );
    form(
        b,
        "/demands/{id}/answer",
        "assessment.answer",
        "A provider authorizes or refuses.",
        r(PROVIDER_WRITERS),
        || post(d::answer),
    );
    form(
        b,
        "/demands/{id}/list",
        "demand-list.add",
        "Put an accepted demand on a draft list.",
        r(OPERATOR_WRITERS),
        || post(d::put_on_list),
    );
    page(
        b,
        "/lists",
        "demand-list.list",
        "Demand lists.",
        r(LIST_READERS),
        || get(d::lists_page),
    );
    form(
        b,
        "/lists",
        "demand-list.create",
        "Open a demand list.",
        r(OPERATOR_WRITERS),
        || post(d::create_list),
    );
    form(
        b,
        "/lists/{id}/submit",
        "demand-list.submit",
        "Send a list to the Office.",
        r(OPERATOR_WRITERS),
        || post(d::submit_list),
    );
    page(
        b,
        "/agreements/{id}",
        "agreement.show",
        "One agreement, its text and signatures.",
        signed_in,
        || get(a::agreement_page),
    );
    form(
        b,
        "/agreements/{id}/sign",
        "agreement.sign",
        "Sign for the viewer's organisation.",
        r(SIGNERS),
        || post(a::sign),
    );
    b.add(
        Console,
        Method::GET,
        "/agreements/{id}/export",
        "agreement.export",
        "Download the agreement file.",
        signed_in,
        Read,
        NO_BODY,
        || get(a::export),
    );
    page(
        b,
        "/authorizations/{id}",
        "authorization.show",
        "One authorization with its task, agreements and disputes.",
        r(AUTHORIZATION_READERS),
        || get(a::authorization_page),
    );
    form(
        b,
        "/authorizations/{id}/terminate",
        "authorization.terminate",
        "End an authorization with grounds.",
        r(PROVIDER_WRITERS),
        || post(a::terminate),
    );
    form(
        b,
        "/authorizations/{id}/disputes",
        "dispute.raise",
        "Raise a dispute about an authorization.",
        r(DISPUTE_ACTORS),
        || post(a::raise_dispute),
    );
    page(
        b,
        "/disputes/{id}",
        "dispute.show",
        "One dispute and its steps.",
        r(DISPUTE_PARTIES),
        || get(a::dispute_page),
    );
    form(
        b,
        "/disputes/{id}/steps",
        "dispute.step",
        "A step on a dispute.",
        r(DISPUTE_ACTORS),
        || post(a::dispute_step),
    );
    form(
        b,
        "/settings/webhooks",
        "webhook.create",
        "Add a webhook (administrators).",
        r(ADMINS),
        || post(crate::console::settings::add_webhook),
    );
    form(
        b,
        "/settings/webhooks/{id}/remove",
        "webhook.disable",
        "Remove a webhook (administrators).",
        r(ADMINS),
        || post(crate::console::settings::remove_webhook),
    );
    page(
        b,
        "/inbox",
        "notification.list",
        "The viewer's notices.",
        signed_in,
        || get(a::inbox),
    );
    form(
        b,
        "/inbox/read",
        "notification.read",
        "Mark every notice read.",
        signed_in,
        || post(a::mark_read),
    );
}
