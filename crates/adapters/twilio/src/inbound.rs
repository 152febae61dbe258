//! Normalisation of Twilio's WhatsApp inbound-message webhook into [`InboundMessage`].
//!
//! Twilio posts these fields for a WhatsApp message (it may add more without notice, which the
//! signature still covers and this module ignores): `MessageSid`, `SmsMessageSid`, `SmsSid`
//! (legacy copies of `MessageSid`), `AccountSid`, `MessagingServiceSid`, `From`, `To`, `Body`,
//! `NumMedia`, `NumSegments`, `MediaUrl{N}`, `MediaContentType{N}`, `ProfileName`, `WaId`,
//! `SmsStatus`, `MessageType`, `ReferralNumMedia`, `ChannelMetadata`, `ApiVersion`, and for
//! replies, buttons and locations `OriginalRepliedMessageSid`, `ButtonText`, `Latitude`, ...
//!
//! Only the fields Warden acts on are read, and each of them must appear at most once: the
//! signature covers every copy, so a duplicate would let two components disagree on which one
//! counts.

use warden_types::{InboundMessage, MessageBody, PhoneNumber, Provider, ProviderMessageId};

/// Why a webhook form is not a usable inbound message. Names the field, never its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NormaliseError {
    #[error("webhook field {0} is missing")]
    MissingField(&'static str),
    #[error("webhook field {0} is invalid or repeated")]
    InvalidField(&'static str),
}

const MESSAGE_SID: &str = "MessageSid";
const FROM: &str = "From";
const BODY: &str = "Body";
const NUM_MEDIA: &str = "NumMedia";
const SMS_STATUS: &str = "SmsStatus";
const ACCOUNT_SID: &str = "AccountSid";

/// WhatsApp allows at most 10 media items per message, and so does Twilio.
pub const MAX_MEDIA: u32 = 10;

/// Builds the domain message from an authenticated webhook form.
///
/// Call only after [`crate::SignatureVerifier::verify`] succeeded on the same `params`.
///
/// - `MessageSid` is required and must be a Twilio message SID: `SM` (or `MM`, Twilio's prefix
///   for messages with media) followed by 32 hex digits, Twilio's published pattern. It is the
///   replay key, so nothing looser is accepted.
/// - `From` is required and must be `whatsapp:+<E.164>`. A plain `+<E.164>` is an SMS, whose
///   sender id can be spoofed; Warden is WhatsApp-only, so SMS reaching this endpoint is
///   refused rather than trusted.
/// - `Body` is optional (media-only messages) and becomes an empty body.
/// - `NumMedia` is optional (0 when absent) and must be plain decimal digits, at most
///   [`MAX_MEDIA`].
/// - `SmsStatus`, when present, must be `received`: a status callback (`sent`, `delivered`,
///   ...) pointed at the inbound URL by mistake must not become a message from our own number.
pub fn normalise(params: &[(String, String)]) -> Result<InboundMessage, NormaliseError> {
    let sid = single(params, MESSAGE_SID)?.ok_or(NormaliseError::MissingField(MESSAGE_SID))?;
    if !is_message_sid(sid) {
        return Err(NormaliseError::InvalidField(MESSAGE_SID));
    }
    let id = ProviderMessageId::new(sid).map_err(|_| NormaliseError::InvalidField(MESSAGE_SID))?;

    let from = single(params, FROM)?.ok_or(NormaliseError::MissingField(FROM))?;
    let from = from
        .strip_prefix("whatsapp:")
        // `PhoneNumber::parse` would strip a second `whatsapp:` itself.
        .filter(|rest| rest.starts_with('+'))
        .ok_or(NormaliseError::InvalidField(FROM))
        .and_then(|e164| {
            PhoneNumber::parse(e164).map_err(|_| NormaliseError::InvalidField(FROM))
        })?;

    if let Some(status) = single(params, SMS_STATUS)? {
        if status != "received" {
            return Err(NormaliseError::InvalidField(SMS_STATUS));
        }
    }

    let body = single(params, BODY)?.unwrap_or("");
    let media_count = match single(params, NUM_MEDIA)? {
        None => 0,
        Some(n) => parse_media_count(n).ok_or(NormaliseError::InvalidField(NUM_MEDIA))?,
    };

    Ok(InboundMessage {
        provider: Provider::Twilio,
        id,
        from,
        body: MessageBody::new(body),
        media_count,
    })
}

/// The `AccountSid` the webhook claims, for the app to compare with its configured account.
///
/// `None` when the field is absent or repeated, so a check against config fails closed.
pub fn account_sid(params: &[(String, String)]) -> Option<&str> {
    single(params, ACCOUNT_SID).ok().flatten()
}

fn single<'a>(
    params: &'a [(String, String)],
    name: &'static str,
) -> Result<Option<&'a str>, NormaliseError> {
    crate::form::single(params, name).map_err(|_| NormaliseError::InvalidField(name))
}

/// Twilio's message SID pattern, `^(SM|MM)[0-9a-fA-F]{32}$`; also checked on the id the REST
/// API returns and on status callbacks, since it is the key they are matched on.
pub(crate) fn is_message_sid(sid: &str) -> bool {
    match sid.as_bytes() {
        [b'S' | b'M', b'M', hex @ ..] => hex.len() == 32 && hex.iter().all(u8::is_ascii_hexdigit),
        _ => false,
    }
}

fn parse_media_count(raw: &str) -> Option<u32> {
    if raw.is_empty() || raw.len() > 2 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<u32>().ok().filter(|&n| n <= MAX_MEDIA)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_form;
    use proptest::prelude::*;

    const FIXTURE: &[u8] = include_bytes!("fixtures/whatsapp_text.form");

    fn fixture() -> Vec<(String, String)> {
        parse_form(FIXTURE).unwrap()
    }

    fn with(params: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
        let mut out: Vec<_> = params.iter().filter(|(k, _)| k != key).cloned().collect();
        out.push((key.to_owned(), value.to_owned()));
        out
    }

    fn without(params: &[(String, String)], key: &str) -> Vec<(String, String)> {
        params.iter().filter(|(k, _)| k != key).cloned().collect()
    }

    #[test]
    fn normalises_real_whatsapp_webhook_fixture() {
        let params = fixture();
        assert_eq!(params.len(), 16);
        let msg = normalise(&params).unwrap();
        assert_eq!(msg.provider, Provider::Twilio);
        assert_eq!(msg.id.as_str(), "SM4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8");
        assert_eq!(msg.from.as_e164(), "+14155550123");
        assert_eq!(
            msg.body.as_str(),
            "remind me to call the dentist tomorrow at 9"
        );
        assert_eq!(msg.media_count, 0);
        assert_eq!(
            account_sid(&params),
            Some("AC0123456789abcdef0123456789abcdef")
        );
    }

    #[test]
    fn media_only_message_has_empty_body() {
        let params = without(&with(&fixture(), NUM_MEDIA, "2"), BODY);
        let msg = normalise(&params).unwrap();
        assert_eq!(msg.body.as_str(), "");
        assert_eq!(msg.media_count, 2);
        let params = with(&fixture(), BODY, "");
        assert_eq!(normalise(&params).unwrap().body.as_str(), "");
    }

    #[test]
    fn missing_required_fields_are_named() {
        for field in [MESSAGE_SID, FROM] {
            assert_eq!(
                normalise(&without(&fixture(), field)),
                Err(NormaliseError::MissingField(field))
            );
        }
        assert_eq!(
            normalise(&[]),
            Err(NormaliseError::MissingField(MESSAGE_SID))
        );
    }

    #[test]
    fn rejects_non_twilio_message_sid() {
        for bad in [
            "",
            "SM123",
            "CA4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8",
            "SM4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8x",
            "SM4f3c2b1a09e8d7c6b5a4f3e2d1c0b9ag",
            "sm4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a8",
            "SM4f3c2b1a09e8d7c6b5a4f3e2d1c0b9a\u{e9}",
        ] {
            assert_eq!(
                normalise(&with(&fixture(), MESSAGE_SID, bad)),
                Err(NormaliseError::InvalidField(MESSAGE_SID)),
                "{bad:?}"
            );
        }
        let mm = "MM4F3C2B1A09E8D7C6B5A4F3E2D1C0B9A8";
        assert_eq!(
            normalise(&with(&fixture(), MESSAGE_SID, mm))
                .unwrap()
                .id
                .as_str(),
            mm
        );
    }

    #[test]
    fn rejects_sms_and_malformed_senders() {
        for bad in [
            "+14155550123",
            "whatsapp:14155550123",
            "whatsapp:+1 415 555 0123",
            "messenger:+14155550123",
            "whatsapp:whatsapp:+14155550123",
            "",
        ] {
            assert_eq!(
                normalise(&with(&fixture(), FROM, bad)),
                Err(NormaliseError::InvalidField(FROM)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rejects_duplicated_fields_that_are_read() {
        for field in [MESSAGE_SID, FROM, BODY, NUM_MEDIA, SMS_STATUS] {
            let mut params = fixture();
            let copy = params.iter().find(|(k, _)| k == field).cloned();
            let copy = copy.unwrap_or_else(|| (field.to_owned(), "1".to_owned()));
            params.push(copy.clone());
            params.push(copy);
            assert_eq!(
                normalise(&params),
                Err(NormaliseError::InvalidField(field)),
                "{field}"
            );
        }
    }

    #[test]
    fn rejects_unreasonable_media_counts() {
        for bad in ["-1", "11", "+1", " 1", "1.0", "", "4294967296", "99"] {
            assert_eq!(
                normalise(&with(&fixture(), NUM_MEDIA, bad)),
                Err(NormaliseError::InvalidField(NUM_MEDIA)),
                "{bad:?}"
            );
        }
        assert_eq!(
            normalise(&with(&fixture(), NUM_MEDIA, "10"))
                .unwrap()
                .media_count,
            10
        );
        assert_eq!(
            normalise(&without(&fixture(), NUM_MEDIA))
                .unwrap()
                .media_count,
            0
        );
    }

    #[test]
    fn rejects_status_callback_posted_to_inbound_url() {
        assert_eq!(
            normalise(&with(&fixture(), SMS_STATUS, "delivered")),
            Err(NormaliseError::InvalidField(SMS_STATUS))
        );
        assert!(normalise(&without(&fixture(), SMS_STATUS)).is_ok());
    }

    #[test]
    fn account_sid_is_none_when_absent_or_repeated() {
        assert_eq!(account_sid(&without(&fixture(), ACCOUNT_SID)), None);
        let mut twice = fixture();
        twice.push((
            ACCOUNT_SID.into(),
            "AC00000000000000000000000000000000".into(),
        ));
        assert_eq!(account_sid(&twice), None);
    }

    #[test]
    fn normalise_never_echoes_field_values_in_errors() {
        let secret_value = "whatsapp:+1415555SECRET";
        let err = normalise(&with(&fixture(), FROM, secret_value)).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("SECRET") && !text.contains("1415555"),
            "{text}"
        );
        assert!(text.contains("From"), "{text}");
    }

    proptest! {
        #[test]
        fn parse_form_and_normalise_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(params) = parse_form(&body) {
                let _ = normalise(&params);
                let _ = account_sid(&params);
            }
        }

        #[test]
        fn normalise_never_panics_on_arbitrary_fields(
            params in prop::collection::vec(
                (prop::sample::select(vec!["MessageSid", "From", "Body", "NumMedia", "SmsStatus", "X"]),
                 // Values share no substring with the error texts, so a hit is an echo.
                 "(whatsapp:)?[0-9+:#%]{0,30}"),
                0..8,
            ).prop_map(|v| v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Vec<_>>())
        ) {
            if let Err(e) = normalise(&params) {
                let text = format!("{e} {e:?}");
                for (_, v) in &params {
                    if v.len() > 3 {
                        prop_assert!(!text.contains(v.as_str()), "{} echoed in {}", v, text);
                    }
                }
            }
        }

        #[test]
        fn any_valid_whatsapp_message_normalises(
            hex in "[0-9a-f]{32}",
            cc in 1u8..=9,
            rest in "[0-9]{7,14}",
            body in "\\PC{0,100}",
            media in 0u32..=10,
        ) {
            let params = vec![
                ("MessageSid".to_owned(), format!("SM{hex}")),
                ("From".to_owned(), format!("whatsapp:+{cc}{rest}")),
                ("Body".to_owned(), body.clone()),
                ("NumMedia".to_owned(), media.to_string()),
            ];
            let msg = normalise(&params).unwrap();
            prop_assert_eq!(msg.body.as_str(), body.as_str());
            prop_assert_eq!(msg.media_count, media);
        }
    }
}
