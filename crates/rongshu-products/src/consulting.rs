//! Consulting work orders (咨询服务, Art. 5): a user opens one on a
//! consulting product under its agreement, the operator answers with
//! messages and deliverable files (sealed under the master key), either
//! side closes it. Every step passes the same access chain as data calls,
//! so suspension and termination stop consulting too. Users' feedback on
//! what they made with the data (Art. 15) is filed here as well.

use chrono::{Days, NaiveDate};
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::{ConsultingStatus, FEEDBACK_KINDS, Metered};
use rongshu_domain::{Actor, PartyType, Role};
use rongshu_ledger::{Attribution, EntryDraft, Segment};
use rongshu_store::{
    ConsultingMessage, ConsultingOrder, Feedback, NewFeedback, SealedFile, UseScope,
};
use rongshu_workflow::To;

use crate::oversight::{feedback_read_by, sees_all};
use crate::{Caller, ProductError, Products};

/// Largest deliverable or feedback file, in bytes.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// Days after its first use of a product that a user owes feedback.
pub const FEEDBACK_DUE_DAYS: u64 = 90;

/// A file attached to a message.
#[derive(Clone, Debug)]
pub struct Attachment {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// What a user reports having made with a product's data (Art. 15): a
/// link to it, the work itself as a file, or both.
#[derive(Clone, Debug, Default)]
pub struct FeedbackDraft {
    /// product, report, paper or application.
    pub kind: String,
    pub title: String,
    pub link: String,
    pub file: Option<Attachment>,
}

/// An organisation that used a product and has not said what it made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverdueFeedback {
    pub org_id: i64,
    pub product_code: String,
    pub first_used: NaiveDate,
    pub due: NaiveDate,
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, ProductError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(ProductError::Invalid {
            field,
            problem: format!("is required, at most {max} characters"),
        });
    }
    Ok(value.to_owned())
}

impl Products {
    pub async fn open_consulting(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        code: &str,
        subject: &str,
        question: &str,
    ) -> Result<ConsultingOrder, ProductError> {
        let subject = text("subject", subject, 200)?;
        let question = text("question", question, 20_000)?;
        let caller = Caller::of(actor);
        let admission = self
            .retried(&caller, || async {
                let admission = self.admit(&caller, code, ServiceMode::Consulting).await?;
                let used = Metered {
                    calls: 1,
                    ..Metered::default()
                };
                self.record_use(&caller, by, &admission, "product.consult", used)
                    .await?;
                Ok(admission)
            })
            .await?;
        let now = self.workflow().now_ms();
        let mut tx = self.store().begin().await?;
        let id = tx
            .insert_consulting_order(
                admission.product.id,
                actor.org_id,
                Some(actor.account_id),
                &subject,
                admission.grant.agreement_id,
                now,
            )
            .await?;
        tx.insert_consulting_message(
            id,
            Some(actor.account_id),
            actor.org_id,
            &question,
            None,
            now,
        )
        .await?;
        tx.append(by.entry("consulting.open", "consulting-order", Some(id.to_string())))
            .await?;
        rongshu_workflow::notify(
            self.store(),
            &mut tx,
            &[To::Party(PartyType::Operator)],
            "consulting.opened",
            ("consulting-order", id),
            &subject,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(self.store().consulting_order(id).await?)
    }

    pub async fn consulting_orders(
        &self,
        actor: &Actor,
    ) -> Result<Vec<ConsultingOrder>, ProductError> {
        let org = (!sees_all(actor)).then_some(actor.org_id);
        Ok(self.store().consulting_orders(org).await?)
    }

    /// An order and its messages, for its user and the operator side.
    pub async fn consulting_order(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(ConsultingOrder, Vec<ConsultingMessage>), ProductError> {
        let order = self.store().consulting_order(id).await?;
        if order.user_org_id != actor.org_id && !sees_all(actor) {
            return Err(ProductError::Forbidden(
                "a consulting order is seen by its user and the operator",
            ));
        }
        let messages = self.store().consulting_messages(id).await?;
        Ok((order, messages))
    }

    /// Whether the order's user may still be served: the same chain as a
    /// data call, for the user's organisation.
    async fn still_served(&self, order: &ConsultingOrder) -> Result<(), ProductError> {
        let product = self.store().product(order.product_id).await?;
        let user = self.store().organization(order.user_org_id).await?;
        let caller = Caller {
            account_id: 0,
            org_id: user.id,
            party: user.party,
            stamp: None,
        };
        let stamp = self.store().seen_epoch();
        self.read_admission(&caller, &product.input.code, ServiceMode::Consulting, stamp)
            .await
            .map(|_| ())
    }

    pub async fn reply(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        id: i64,
        body: &str,
        attachment: Option<Attachment>,
    ) -> Result<ConsultingMessage, ProductError> {
        if actor.role == Role::Auditor {
            return Err(ProductError::Forbidden("an auditor reads but does not act"));
        }
        let order = self.store().consulting_order(id).await?;
        let from_operator = actor.party == PartyType::Operator;
        if !from_operator && order.user_org_id != actor.org_id {
            return Err(ProductError::Forbidden(
                "only the order's user and the operator write on it",
            ));
        }
        let body = text("body", body, 20_000)?;
        let status: ConsultingStatus = order.status.parse().map_err(|_| ProductError::Invalid {
            field: "status",
            problem: format!("{} is no consulting status", order.status),
        })?;
        let next = status
            .after_message(from_operator)
            .ok_or(ProductError::OrderClosed(id))?;
        self.still_served(&order).await?;
        let context = rongshu_workflow::consulting_file_context(id);
        let file = attachment
            .map(|a| self.sealed_file(a, &context))
            .transpose()?;
        let now = self.workflow().now_ms();
        let mut tx = self.store().begin_aside().await?;
        let message = tx
            .insert_consulting_message(
                id,
                Some(actor.account_id),
                actor.org_id,
                &body,
                file.as_ref(),
                now,
            )
            .await?;
        tx.set_consulting_status(id, status.as_str(), next.as_str(), now)
            .await?;
        tx.append(EntryDraft {
            segment: (from_operator && file.is_some()).then_some(Segment::Operator),
            reason: file
                .as_ref()
                .map(|f| format!("{} ({} bytes, SM3 {})", f.file_name, f.byte_size, f.digest)),
            ..by.entry("consulting.reply", "consulting-order", Some(id.to_string()))
        })
        .await?;
        let to = if from_operator {
            To::Org(order.user_org_id)
        } else {
            To::Party(PartyType::Operator)
        };
        rongshu_workflow::notify(
            self.store(),
            &mut tx,
            &[to],
            "consulting.message",
            ("consulting-order", id),
            &order.subject,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(self.store().consulting_message(message).await?)
    }

    pub async fn close_consulting(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        id: i64,
    ) -> Result<ConsultingOrder, ProductError> {
        let (order, _) = self.consulting_order(actor, id).await?;
        if actor.role == Role::Auditor
            || !(actor.party == PartyType::Operator || actor.org_id == order.user_org_id)
        {
            return Err(ProductError::Forbidden(
                "the order's user or the operator closes it",
            ));
        }
        if order.status == ConsultingStatus::Closed.as_str() {
            return Err(ProductError::OrderClosed(id));
        }
        let mut tx = self.store().begin_aside().await?;
        tx.set_consulting_status(
            id,
            &order.status,
            ConsultingStatus::Closed.as_str(),
            self.workflow().now_ms(),
        )
        .await?;
        tx.append(by.entry("consulting.close", "consulting-order", Some(id.to_string())))
            .await?;
        tx.commit().await?;
        Ok(self.store().consulting_order(id).await?)
    }

    /// A deliverable file, opened and checked against its digest; the
    /// user's reading is ledgered.
    pub async fn deliverable(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        message_id: i64,
    ) -> Result<(String, Vec<u8>), ProductError> {
        let message = self.store().consulting_message(message_id).await?;
        let (order, _) = self.consulting_order(actor, message.order_id).await?;
        let file = message.file.ok_or(ProductError::Invalid {
            field: "message",
            problem: "carries no file".into(),
        })?;
        if actor.org_id == order.user_org_id {
            self.still_served(&order).await?;
        }
        let context = rongshu_workflow::consulting_file_context(order.id);
        let plain = self.opened_file(&file, &context, &format!("consulting order {}", order.id))?;
        let mut tx = self.store().begin_aside().await?;
        tx.append(EntryDraft {
            segment: Some(Segment::Operator),
            reason: Some(file.file_name.clone()),
            ..by.entry(
                "consulting.deliverable",
                "consulting-message",
                Some(message_id.to_string()),
            )
        })
        .await?;
        tx.commit().await?;
        Ok((file.file_name, plain))
    }

    /// An uploaded file sealed under the master key to `context`.
    fn sealed_file(&self, a: Attachment, context: &[u8]) -> Result<SealedFile, ProductError> {
        let file_name = a.file_name.trim();
        rongshu_domain::check_file_name(file_name).map_err(|e| ProductError::Invalid {
            field: "file_name",
            problem: e.to_string(),
        })?;
        if a.bytes.is_empty() || a.bytes.len() > MAX_FILE_BYTES {
            return Err(ProductError::Invalid {
                field: "file",
                problem: format!("has 1 to {MAX_FILE_BYTES} bytes"),
            });
        }
        Ok(SealedFile {
            file_name: file_name.to_owned(),
            byte_size: a.bytes.len() as i64,
            digest: rongshu_crypto::sm3_hex_of(&a.bytes[..])
                .map_err(rongshu_formats::FormatError::Io)?,
            sealed: hex::encode(self.master().seal_secret(&a.bytes, context)),
            master_key_id: self.master().id(),
        })
    }

    /// A sealed file's plaintext, checked against its digest; `what` names
    /// it when it does not open.
    fn opened_file(
        &self,
        file: &SealedFile,
        context: &[u8],
        what: &str,
    ) -> Result<Vec<u8>, ProductError> {
        let sealed = || ProductError::Sealed(what.to_owned());
        let bytes = hex::decode(&file.sealed).map_err(|_| sealed())?;
        let plain = self
            .master()
            .open_secret(&bytes, context)
            .map_err(|_| sealed())?;
        if rongshu_crypto::sm3_hex_of(&plain[..]).ok().as_deref() != Some(file.digest.as_str()) {
            return Err(sealed());
        }
        Ok(plain)
    }

    /// Feedback on what the user made with a product's data (Art. 15):
    /// a link, a file (sealed), or both.
    pub async fn file_feedback(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        code: &str,
        draft: FeedbackDraft,
    ) -> Result<Feedback, ProductError> {
        let FeedbackDraft {
            kind,
            title,
            link,
            file: attachment,
        } = draft;
        let kind = kind.as_str();
        if !FEEDBACK_KINDS.contains(&kind) {
            return Err(ProductError::Invalid {
                field: "kind",
                problem: format!("is one of {}", FEEDBACK_KINDS.join(", ")),
            });
        }
        let title = text("title", &title, 200)?;
        let link = link.trim().to_owned();
        if link.is_empty() && attachment.is_none() {
            return Err(ProductError::Invalid {
                field: "link",
                problem: "or a file must say where the work is".into(),
            });
        }
        // Shown as a link to others: web addresses only, never script.
        if !link.is_empty()
            && (link.len() > 2000 || !(link.starts_with("https://") || link.starts_with("http://")))
        {
            return Err(ProductError::Invalid {
                field: "link",
                problem: "must be an http:// or https:// address of at most 2000 bytes".into(),
            });
        }
        let product = self.store().product_by_code(code).await?;
        let used = self.store().first_uses(Some(actor.org_id)).await?;
        if !used.iter().any(|u| u.product_id == product.id) {
            return Err(ProductError::Forbidden(
                "feedback is filed by an organisation that used the product",
            ));
        }
        let context = rongshu_workflow::feedback_file_context(actor.org_id, product.id);
        let file = attachment
            .map(|a| self.sealed_file(a, &context))
            .transpose()?;
        let mut tx = self.store().begin_aside().await?;
        let id = tx
            .insert_feedback(
                &NewFeedback {
                    product_id: product.id,
                    org_id: actor.org_id,
                    kind: kind.to_owned(),
                    title,
                    link,
                    file,
                    filed_by: Some(actor.account_id),
                },
                self.workflow().now_ms(),
            )
            .await?;
        tx.append(EntryDraft {
            segment: Some(Segment::User),
            ..by.entry("feedback.file", "product", Some(code.to_owned()))
        })
        .await?;
        tx.commit().await?;
        let mine = self.store().feedback(UseScope::Own(actor.org_id)).await?;
        Ok(mine.into_iter().find(|f| f.id == id).expect("just filed"))
    }

    /// A feedback's file, opened and checked against its digest, for the
    /// organisation that filed it and those who follow feedback; ledgered.
    pub async fn feedback_file(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        id: i64,
    ) -> Result<(String, Vec<u8>), ProductError> {
        let feedback = self
            .store()
            .feedback(feedback_read_by(actor))
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or(ProductError::Forbidden(
                "feedback is shown to the organisation that filed it and to those who follow it",
            ))?;
        let file = feedback.file.ok_or_else(|| ProductError::Invalid {
            field: "feedback",
            problem: format!("{id} came without a file"),
        })?;
        let context = rongshu_workflow::feedback_file_context(feedback.org_id, feedback.product_id);
        let plain = self.opened_file(&file, &context, &format!("feedback {id}"))?;
        let mut tx = self.store().begin_aside().await?;
        tx.append(EntryDraft {
            reason: Some(file.file_name.clone()),
            ..by.entry("feedback.file.read", "feedback", Some(id.to_string()))
        })
        .await?;
        tx.commit().await?;
        Ok((file.file_name, plain))
    }

    pub async fn feedback(&self, actor: &Actor) -> Result<Vec<Feedback>, ProductError> {
        Ok(self.store().feedback(feedback_read_by(actor)).await?)
    }

    /// Users whose feedback on a product is overdue: first used more than
    /// [`FEEDBACK_DUE_DAYS`] ago, nothing filed since (the operator's list).
    pub async fn overdue_feedback(
        &self,
        actor: &Actor,
    ) -> Result<Vec<OverdueFeedback>, ProductError> {
        if !sees_all(actor) {
            return Err(ProductError::Forbidden(
                "the operator and supervisors follow feedback",
            ));
        }
        let today = self.workflow().today();
        let first = self.store().first_uses(None).await?;
        let filed = self.store().feedback(UseScope::All).await?;
        let products = self.store().products().await?;
        Ok(first
            .into_iter()
            .filter_map(|used| {
                let (org_id, product_id) = (used.org_id, used.product_id);
                let first_used: NaiveDate = used.day.parse().ok()?;
                let due = first_used.checked_add_days(Days::new(FEEDBACK_DUE_DAYS))?;
                let answered = filed
                    .iter()
                    .any(|f| f.org_id == org_id && f.product_id == product_id);
                let code = products
                    .iter()
                    .find(|p| p.id == product_id)?
                    .input
                    .code
                    .clone();
                (due < today && !answered).then_some(OverdueFeedback {
                    org_id,
                    product_code: code,
                    first_used,
                    due,
                })
            })
            .collect())
    }
}
