use warden_audit::AuditEvent;
use warden_calendar::jobs::CalendarJob;
use warden_commands::TaskNumber;
use warden_gates::{IssuedCode, PairState, PairingCode, RateWindow, RequestStatus};
use warden_marketplace::VendorId;
use warden_types::UnixMillis;

use crate::ports::MarketRoute;

/// What the store knows about one sender, loaded inside the transaction that handles a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderState {
    /// Paired earlier with the pairing token (the allowlist table).
    pub paired: bool,
    pub pairing: PairState,
    pub rate: Option<RateWindow>,
    /// Open tasks in creation order; `list` numbers them 1, 2, 3…
    pub open_tasks: Vec<OpenTask>,
    /// The per-sender number the next task gets; never reused.
    pub next_task_no: i64,
    /// The sender's number is a registered marketplace vendor's (the `vendors` table, by
    /// pseudonymous sender id, active or not).
    pub vendor: Option<VendorId>,
    /// The sender's pairing codes requested since the approval window's start (see
    /// `ApprovalPolicy::window_start`). Loaded only when the assistant issues codes.
    pub pairing_codes: Vec<IssuedCode>,
    /// Every sender's live pairing codes, for the global limit. Not the sender's own: the
    /// store loads it once per batch and sets it before each message it decides.
    pub pairing_backlog: u32,
}

impl Default for SenderState {
    fn default() -> Self {
        Self {
            paired: false,
            pairing: PairState::default(),
            rate: None,
            open_tasks: Vec::new(),
            next_task_no: 1,
            vendor: None,
            pairing_codes: Vec::new(),
            pairing_backlog: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTask {
    pub no: i64,
    pub title: String,
}

/// One state change the store must persist, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The sender proved the pairing token: add to the allowlist table.
    Allowlist,
    SetPairing(PairState),
    SetRate(RateWindow),
    AddTask {
        no: i64,
        title: String,
    },
    CompleteTask {
        no: i64,
    },
    /// A stranger was issued a pairing code: store the pending request (with the number the
    /// message came from, to reply on approval).
    RequestPairing {
        code: PairingCode,
        requested_at: UnixMillis,
        expires_at: UnixMillis,
    },
    /// A calendar write to make after the commit (`remind`): store it as a durable job.
    Calendar(CalendarJob),
}

/// A calendar command that needs the calendar's current list before it can be answered; read
/// after the commit, outside any transaction (a slow call must not hold the writer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarRead {
    /// `events`: list the sender's upcoming reminders.
    Events,
    /// `unremind <n>`: delete the `n`th of that list.
    Unremind(TaskNumber),
}

/// Everything that follows from one message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    pub effects: Vec<Effect>,
    pub audit: Vec<AuditEvent>,
    pub reply: Option<String>,
    /// The message is free text for the LLM advisor: no reply now; the caller gets an
    /// [`crate::AdviceTicket`] and the reply follows in a second transaction.
    pub advise: bool,
    /// The message is for the concierge marketplace: no reply now; the caller gets a
    /// [`crate::MarketTicket`] and the marketplace step follows in a second transaction.
    pub market: Option<MarketRoute>,
    /// The message needs a read of the calendar: no reply now; the caller gets a
    /// [`crate::CalendarTicket`] and the reply follows in a second transaction.
    pub calendar: Option<CalendarRead>,
}

impl SenderState {
    /// Applies effects in memory, so the next message of the same sender in the same
    /// transaction sees them. The store persists the resulting state.
    pub fn apply(&mut self, effects: &[Effect]) {
        for effect in effects {
            match effect {
                Effect::Allowlist => self.paired = true,
                Effect::SetPairing(p) => self.pairing = *p,
                Effect::SetRate(w) => self.rate = Some(*w),
                Effect::AddTask { no, title } => {
                    self.open_tasks.push(OpenTask {
                        no: *no,
                        title: title.clone(),
                    });
                    self.next_task_no = self.next_task_no.max(no.saturating_add(1));
                }
                Effect::CompleteTask { no } => self.open_tasks.retain(|t| t.no != *no),
                Effect::RequestPairing {
                    code,
                    requested_at,
                    expires_at,
                } => {
                    self.pairing_codes.push(IssuedCode {
                        code: code.clone(),
                        requested_at: *requested_at,
                        expires_at: *expires_at,
                        status: RequestStatus::Pending,
                    });
                    self.pairing_backlog = self.pairing_backlog.saturating_add(1);
                }
                Effect::Calendar(_) => {}
            }
        }
    }
}
