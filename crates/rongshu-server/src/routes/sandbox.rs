//! Routes of the data sandbox (Art. 5): workspaces and their statements
//! for the users an agreement grants the sandbox, exports, and the
//! operator's output checkers. `rongshu_sandbox` checks the rest (whose
//! workspace, whose export, no author reviewing their own output).

use axum::http::Method;
use axum::routing::{delete, get, post};
use rongshu_domain::{Access, Grant, PartyType as P, Role};

use super::{Audit::*, Builder, NO_BODY, Surface::Api, Surface::Console, Wire, wire};
use crate::api::sandbox as h;

const ACTING: &[Role] = &[Role::Admin, Role::Staff];

/// Whoever holds a data use agreement: users, and departments using other
/// departments' data.
const RESEARCHERS: &[Grant] = &[Grant::new(&[P::User, P::Provider], ACTING)];
/// Researchers see their exports; the operator's checkers see every one.
const EXPORT_READERS: &[Grant] = &[Grant::new(&[P::User, P::Provider, P::Operator], ACTING)];
const CHECKERS: &[Grant] = &[Grant::new(&[P::Operator], ACTING)];

pub(super) fn add(b: &mut Builder) {
    let r = Access::Restricted;
    b.add(
        Api,
        Method::GET,
        "/api/v1/sandbox/workspaces",
        "sandbox.workspaces",
        "The caller's workspaces (one per data use agreement granting the sandbox) with their tables, columns and grades.",
        r(RESEARCHERS),
        Quiet,
        wire(None, Some("WorkspaceView[]")),
        || get(h::workspaces),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/sandbox/workspaces/{id}/statements",
        "sandbox.run",
        "Run one SELECT (or CREATE TABLE name AS SELECT) in a workspace under its limits; ledgered with its text's SM3 and the tables it read.",
        r(RESEARCHERS),
        InHandler,
        wire(Some("StatementRequest"), Some("AnswerView")),
        || post(h::run),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/sandbox/workspaces/{id}/tables",
        "sandbox.upload",
        "Upload a file (the body: CSV, XLSX, JSON, NDJSON or Parquet) as a table of the workspace; read whole or refused whole, sealed at rest, ledgered with its SM3.",
        r(RESEARCHERS),
        InHandler,
        Wire {
            query: Some("UploadQuery"),
            ..wire(None, Some("SandboxTableView"))
        },
        || post(h::upload),
    );
    b.add(
        Api,
        Method::DELETE,
        "/api/v1/sandbox/workspaces/{id}/tables/{name}",
        "sandbox.drop",
        "Drop a table the workspace keeps (an upload or a table made by a query); products' tables cannot be dropped.",
        r(RESEARCHERS),
        InHandler,
        NO_BODY,
        || delete(h::drop_table),
    );
    b.add(
        Api,
        Method::DELETE,
        "/api/v1/sandbox/runs/{run_id}",
        "sandbox.cancel",
        "Cancel one of the caller's running statements by the run id it was sent with (the statement's own ledger entry records that it was cancelled).",
        r(RESEARCHERS),
        InHandler,
        NO_BODY,
        || delete(h::cancel),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/sandbox/workspaces/{id}/statements",
        "sandbox.history",
        "The workspace's statements, newest first, with how each ended.",
        r(RESEARCHERS),
        Quiet,
        wire(None, Some("HistoryEntryView[]")),
        || get(h::history),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/sandbox/workspaces/{id}/exports",
        "sandbox.export",
        "Ask for a query's result to leave the sandbox: it is run whole, traced to its records, checked (small cells, zeros, dominance, direct identifiers, row cap) and queued for the output checkers.",
        r(RESEARCHERS),
        InHandler,
        wire(Some("ExportRequest"), Some("ExportView")),
        || post(h::request_export),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/sandbox/exports",
        "sandbox.exports",
        "Exports: a researcher's own organisation's; every one for the operator's checkers (status=awaiting-review is their queue).",
        r(EXPORT_READERS),
        Quiet,
        Wire {
            query: Some("ExportsQuery"),
            ..wire(None, Some("ExportView[]"))
        },
        || get(h::exports),
    );
    b.add(
        Api,
        Method::POST,
        "/api/v1/sandbox/exports/{id}/reviews",
        "sandbox.review",
        "An output checker approves, rejects or approves subject to changes; the author never reviews their own output.",
        r(CHECKERS),
        InHandler,
        wire(Some("OutputReviewRequest"), Some("ExportView")),
        || post(h::review),
    );
    b.add(
        Api,
        Method::GET,
        "/api/v1/sandbox/exports/{id}/release",
        "sandbox.release",
        "An approved export as a ZIP: data.csv and metadata.json with citations, lineage, checks and reviews (the author's organisation; ledgered). Refused, with the chain's own problem, while a product it came from is suspended, terminated, withdrawn or out of term.",
        r(RESEARCHERS),
        InHandler,
        NO_BODY,
        || get(h::release),
    );
}

pub(super) fn add_console(b: &mut Builder) {
    use crate::console::sandbox as c;
    let r = Access::Restricted;
    let signed_in = Access::SIGNED_IN;
    b.add(
        Console,
        Method::GET,
        "/sandbox",
        "sandbox.workspaces",
        "The caller's workspaces, or the way to the checkers' queue for the operator.",
        signed_in,
        Quiet,
        NO_BODY,
        || get(c::sandbox_page),
    );
    b.add(
        Console,
        Method::GET,
        "/sandbox/checks",
        "sandbox.exports",
        "The output checkers' queue: exports awaiting review with their results, checks and lineage.",
        r(CHECKERS),
        Quiet,
        NO_BODY,
        || get(c::checks_page),
    );
    b.add(
        Console,
        Method::GET,
        "/sandbox/{id}",
        "sandbox.workspace",
        "A workspace: schema browser, SQL editor, history and exports.",
        r(RESEARCHERS),
        Quiet,
        NO_BODY,
        || get(c::workspace_page),
    );
    b.add(
        Console,
        Method::POST,
        "/sandbox/{id}/statements",
        "sandbox.run",
        "Run a statement and show its result grid.",
        r(RESEARCHERS),
        InHandler,
        NO_BODY,
        || post(c::run_statement),
    );
    b.add(
        Console,
        Method::POST,
        "/sandbox/{id}/tables",
        "sandbox.upload",
        "Upload a file as a table (the body is the file; /assets/deliver.js sends it with the CSRF token).",
        r(RESEARCHERS),
        InHandler,
        NO_BODY,
        || post(c::upload),
    );
    b.add(
        Console,
        Method::POST,
        "/sandbox/{id}/tables/{name}/drop",
        "sandbox.drop",
        "Drop a table the workspace keeps.",
        r(RESEARCHERS),
        InHandler,
        NO_BODY,
        || post(c::drop_table),
    );
    b.add(
        Console,
        Method::POST,
        "/sandbox/runs/cancel",
        "sandbox.cancel",
        "Cancel a running statement by its run id.",
        r(RESEARCHERS),
        InHandler,
        NO_BODY,
        || post(c::cancel_run),
    );
    b.add(
        Console,
        Method::POST,
        "/sandbox/{id}/exports",
        "sandbox.export",
        "Ask for a query's result to be exported.",
        r(RESEARCHERS),
        InHandler,
        NO_BODY,
        || post(c::request_export),
    );
    b.add(
        Console,
        Method::GET,
        "/sandbox/exports/{id}/release",
        "sandbox.release",
        "Download an approved export.",
        r(RESEARCHERS),
        InHandler,
        NO_BODY,
        || get(c::release),
    );
    b.add(
        Console,
        Method::POST,
        "/sandbox/exports/{id}/reviews",
        "sandbox.review",
        "An output checker's decision.",
        r(CHECKERS),
        InHandler,
        NO_BODY,
        || post(c::review),
    );
}
