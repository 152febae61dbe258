//! The masked relay: what vendors read about a request, and how a vendor's reply becomes an offer
//! the client reads — or is held.
//!
//! - Vendor-bound text carries the request reference, the tags and the request text *masked*:
//!   run through the redactor (phone numbers, e-mail addresses, secrets), then scrubbed of the
//!   client's own number in any written format and of the client's name. Never the client's
//!   number or name.
//! - Client-bound text carries the vendor's business name and the offer, with phone numbers and
//!   e-mail addresses redacted and the vendor's own number scrubbed, so a vendor cannot leak its
//!   contact around the masking. The vendor's number is shown only in the reply to `accept`.
//! - A vendor reply is matched to a request by the reference in its text, and only among the
//!   requests this vendor was contacted about; then it passes the injection guard and the
//!   payment-redirect check ([`crate::payment`]) or is held for the operator.

use std::borrow::Cow;

use warden_audit::{Detail, EventKind};
use warden_guard::{Guard, Reason};
use warden_redaction::{Redactor, Region};
use warden_types::{PhoneNumber, UnixMillis};

use crate::decision::{Decision, Effect, HeldText, Outgoing, Recipient};
use crate::payment::{payment_signals, HoldReason};
use crate::request::{Offer, Request, RequestRef};
use crate::text::{fold, sanitize_untrusted};
use crate::vendor::Vendor;

/// What replaces the client's (or the vendor's) own number when the redactor did not catch it.
pub const NUMBER_REMOVED: &str = "[number removed]";
/// What replaces the client's name.
pub const NAME_REMOVED: &str = "[name]";

/// Limits of the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayPolicy {
    /// Offers one vendor may have relayed per request; more are held (`offer_limit`).
    pub max_offers_per_vendor: usize,
    /// Longer offers are clipped.
    pub max_offer_chars: usize,
}

impl Default for RelayPolicy {
    fn default() -> Self {
        Self {
            max_offers_per_vendor: 3,
            max_offer_chars: 800,
        }
    }
}

/// Fixed texts of the relay.
#[derive(Debug, Clone, Copy)]
pub struct RelayText;

impl RelayText {
    pub const NEED_REFERENCE: &'static str =
        "Please include the request reference (like R-7F3K2Q) in your reply.";
    pub const ONE_REFERENCE: &'static str =
        "Please answer one request per message, with its reference.";
    pub const UNKNOWN_REFERENCE: &'static str = "We could not match that reference.";
    pub const REQUEST_CLOSED: &'static str = "Thank you. This request is no longer open.";
    pub const UNDER_REVIEW: &'static str =
        "Thank you. Your reply is being reviewed by our team before it is passed on.";
}

/// The request text as vendors may read it (see the module docs). Deterministic.
pub fn mask_for_vendor(
    redactor: &Redactor,
    text: &str,
    client_phone: &PhoneNumber,
    client_name: Option<&str>,
) -> String {
    // The client writes numbers the way their own country dials them.
    let redacted = redactor.redact_in(text, Region::of_number(client_phone.as_e164()));
    let scrubbed = scrub_number(&redacted, client_phone);
    match client_name {
        Some(name) => scrub_name(&scrubbed, name).into_owned(),
        None => scrubbed.into_owned(),
    }
}

/// The outreach message for one request. Built only from the reference, the tags and the masked
/// text (scrubbed of the client's number once more, in case the stored text predates a rule).
pub fn outreach_text(request: &Request) -> String {
    let masked = scrub_number(&request.masked_text, &request.client_phone);
    let r = request.reference.as_str();
    format!(
        "New request {r} via Warden concierge.\nNeeds: {}\nClient wrote: \"{masked}\"\n\
         To make an offer, reply with {r}, your price and availability. \
         Do not send bank or payment details: the client pays you directly after accepting.",
        request.tags.joined(),
    )
}

/// Replaces every written form of `phone` (any grouping, `+`/`00` prefix or national form)
/// with [`NUMBER_REMOVED`]. A digit run counts when it contains the number's last seven digits.
pub fn scrub_number<'a>(text: &'a str, phone: &PhoneNumber) -> Cow<'a, str> {
    let digits: Vec<u8> = phone.as_e164().bytes().filter(u8::is_ascii_digit).collect();
    let tail = &digits[digits.len().saturating_sub(7)..];
    let mut out = String::new();
    let mut copied = 0;
    for (start, end) in digit_runs(text) {
        let run: Vec<u8> = text[start..end]
            .bytes()
            .filter(u8::is_ascii_digit)
            .collect();
        if run.windows(tail.len()).any(|w| w == tail) {
            let start = if start > 0 && matches!(text.as_bytes()[start - 1], b'+' | b'(') {
                start - 1
            } else {
                start
            };
            out.push_str(&text[copied..start]);
            out.push_str(NUMBER_REMOVED);
            copied = end;
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Byte ranges of runs of digits joined by the separators people write numbers with.
fn digit_runs(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut j = i;
        while j < bytes.len() {
            let b = bytes[j];
            if b.is_ascii_digit() {
                end = j + 1;
            } else if !matches!(
                b,
                b' ' | b'-' | b'.' | b'(' | b')' | b'/' | b'\xc2' | b'\xa0'
            ) {
                break;
            }
            j += 1;
        }
        runs.push((start, end));
        i = end.max(i + 1);
    }
    runs
}

/// Replaces each word of `name` (three letters or more) where it appears as a whole word,
/// ignoring case and accents, with [`NAME_REMOVED`].
fn scrub_name<'a>(text: &'a str, name: &str) -> Cow<'a, str> {
    let folded_name = fold(name);
    let tokens: Vec<&str> = folded_name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| t.chars().count() >= 3)
        .collect();
    if tokens.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut copied = 0;
    let mut word_start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), word_start) {
            (true, None) => word_start = Some(i),
            (false, Some(s)) => {
                word_start = None;
                if tokens.contains(&fold(&text[s..i]).as_str()) {
                    out.push_str(&text[copied..s]);
                    out.push_str(NAME_REMOVED);
                    copied = i;
                }
            }
            _ => {}
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// What the client reads for one relayed offer.
pub fn relay_text(request: &Request, vendor: &Vendor, offer_no: u32, offer: &str) -> String {
    let r = request.reference.as_str();
    format!(
        "Offer {offer_no} for {r} from {}:\n{offer}\n\nTo accept: accept {r} {offer_no}",
        vendor.business_name.as_str()
    )
}

/// Decides what happens to one message from a registered vendor.
///
/// `requests` are the requests this vendor was contacted about (any status); a reference is
/// resolved only among them, so a vendor cannot reach another vendor's conversation by guessing.
pub fn handle_vendor_reply(
    guard: &Guard,
    redactor: &Redactor,
    policy: &RelayPolicy,
    vendor: &Vendor,
    text: &str,
    requests: &[Request],
    now: UnixMillis,
) -> Decision {
    let mut d = Decision::default();
    let refs = RequestRef::find_all(text);
    let reference = match refs.as_slice() {
        [] => {
            hold(
                &mut d,
                None,
                vendor,
                text,
                &[HoldReason::NoReference],
                now,
                None,
            );
            d.reply = Some(RelayText::NEED_REFERENCE.to_owned());
            return d;
        }
        [one] => one,
        [..] => {
            hold(
                &mut d,
                None,
                vendor,
                text,
                &[HoldReason::AmbiguousReference],
                now,
                None,
            );
            d.reply = Some(RelayText::ONE_REFERENCE.to_owned());
            return d;
        }
    };
    let Some(request) = requests
        .iter()
        .find(|r| &r.reference == reference && r.contacted.contains(&vendor.id))
    else {
        hold(
            &mut d,
            None,
            vendor,
            text,
            &[HoldReason::UnknownReference],
            now,
            None,
        );
        d.reply = Some(RelayText::UNKNOWN_REFERENCE.to_owned());
        return d;
    };
    let gate = if !vendor.active {
        Some(HoldReason::VendorInactive)
    } else if !request.is_open() {
        Some(HoldReason::RequestNotOpen)
    } else if request
        .offers
        .iter()
        .filter(|o| o.vendor == vendor.id)
        .count()
        >= policy.max_offers_per_vendor
    {
        Some(HoldReason::OfferLimit)
    } else {
        None
    };
    if let Some(reason) = gate {
        hold(&mut d, Some(request), vendor, text, &[reason], now, None);
        d.reply = Some(
            if reason == HoldReason::RequestNotOpen {
                RelayText::REQUEST_CLOSED
            } else {
                RelayText::UNDER_REVIEW
            }
            .to_owned(),
        );
        return d;
    }

    let cleaned = sanitize_untrusted(text, policy.max_offer_chars);
    let mut reasons = Vec::new();
    if cleaned.trim().eq_ignore_ascii_case(reference.as_str()) || cleaned.trim().is_empty() {
        reasons.push(HoldReason::EmptyOffer);
    }
    let verdict = guard.check(text);
    if verdict.is_injection() {
        reasons.push(HoldReason::Injection);
    }
    if verdict.reasons.contains(&Reason::PaymentRedirect) {
        reasons.push(HoldReason::GuardPaymentRedirect);
    }
    reasons.extend(payment_signals(text).into_iter().map(HoldReason::Payment));
    if !reasons.is_empty() {
        let guard_codes = (!verdict.reasons.is_empty()).then(|| {
            verdict
                .reasons
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(",")
        });
        hold(
            &mut d,
            Some(request),
            vendor,
            text,
            &reasons,
            now,
            guard_codes,
        );
        d.reply = Some(RelayText::UNDER_REVIEW.to_owned());
        return d;
    }

    relay_offer(&mut d, redactor, request, vendor, &cleaned, now, false);
    d.reply = Some(format!(
        "Thank you. Your offer for {} was passed on to the client as offer {}.",
        request.reference.as_str(),
        request.next_offer_no()
    ));
    d
}

/// Relays a held vendor reply an operator reviewed and released: the same cleaning, redaction
/// and scrubbing of the vendor's number as any relayed offer (the operator overrides only the
/// hold). `None` when the request is no longer open: nothing is relayed then.
pub fn release_held(
    redactor: &Redactor,
    policy: &RelayPolicy,
    request: &Request,
    vendor: &Vendor,
    text: &str,
    now: UnixMillis,
) -> Option<Decision> {
    if !request.is_open() {
        return None;
    }
    let mut d = Decision::default();
    let cleaned = sanitize_untrusted(text, policy.max_offer_chars);
    relay_offer(&mut d, redactor, request, vendor, &cleaned, now, true);
    Some(d)
}

/// The offer effect, the masked message to the client and `offer.relayed`.
fn relay_offer(
    d: &mut Decision,
    redactor: &Redactor,
    request: &Request,
    vendor: &Vendor,
    cleaned: &str,
    now: UnixMillis,
    released: bool,
) {
    let redacted = redactor.redact_in(cleaned, Region::of_number(vendor.phone.as_e164()));
    let offer_text = scrub_number(&redacted, &vendor.phone);
    let no = request.next_offer_no();
    d.effects.push(Effect::RecordOffer {
        request: request.id,
        offer: Offer {
            no,
            vendor: vendor.id,
            at: now,
        },
    });
    d.messages.push(Outgoing {
        to: Recipient::Client {
            sender: request.client.clone(),
            phone: request.client_phone.clone(),
        },
        body: relay_text(request, vendor, no, &offer_text),
    });
    let mut detail = Detail::new()
        .with("reference", request.reference.as_str())
        .with("vendor_id", vendor.id)
        .with("offer_no", no)
        .with("redacted", matches!(redacted, Cow::Owned(_)));
    if released {
        detail = detail.with("released", true);
    }
    d.event(EventKind::OfferRelayed, Some(&request.client), detail);
}

fn hold(
    d: &mut Decision,
    request: Option<&Request>,
    vendor: &Vendor,
    text: &str,
    reasons: &[HoldReason],
    now: UnixMillis,
    guard_codes: Option<String>,
) {
    let codes: Vec<&str> = reasons.iter().map(|r| r.code()).collect();
    let mut detail = Detail::new()
        .with("vendor_id", vendor.id)
        .with("reasons", codes.join(","));
    if let Some(r) = request {
        detail = detail.with("reference", r.reference.as_str());
    }
    if let Some(g) = guard_codes {
        detail = detail.with("guard_reasons", g);
    }
    d.effects.push(Effect::HoldOffer {
        request: request.map(|r| r.id),
        vendor: vendor.id,
        reasons: reasons.to_vec(),
        text: HeldText(text.chars().take(4000).collect()),
        at: now,
    });
    d.event(EventKind::OfferHeld, request.map(|r| &r.client), detail);
}
