//! Deadlines in working days (Art. 12-14), configurable because successor
//! rules may change them.

use chrono::{Datelike, NaiveDate};
use rongshu_domain::calendar::DueState;

use crate::Workflow;

/// Working days each stage has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// The Governance Office's review of a demand list (Art. 12).
    pub office_review: u32,
    /// A provider's answer to a demand (Art. 13).
    pub provider_answer: u32,
    /// A provider's delivery after authorizing (Art. 14).
    pub delivery: u32,
}

impl Default for Deadlines {
    fn default() -> Deadlines {
        Deadlines {
            office_review: 10,
            provider_answer: 10,
            delivery: 20,
        }
    }
}

/// A stage's due date as of today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    pub on: NaiveDate,
    pub state: DueState,
    /// The count ran through a year the calendar does not declare, so
    /// Monday to Friday were assumed: the date may move when the next
    /// year's notice is loaded.
    pub provisional: bool,
}

impl Workflow {
    /// The due date of a stage of `working_days` starting today.
    pub(crate) fn deadline(&self, working_days: u32) -> NaiveDate {
        self.calendar.deadline(self.today(), working_days).due
    }

    pub fn deadlines(&self) -> Deadlines {
        self.deadlines
    }

    /// Where a stage due `on` stands today.
    pub fn due(&self, on: NaiveDate) -> Due {
        let today = self.today();
        let provisional = (today.year().min(on.year())..=today.year().max(on.year()))
            .any(|year| !self.calendar.covers(year));
        Due {
            on,
            state: self.calendar.due_state(today, on),
            provisional,
        }
    }
}
