//! Every payload shape Meta documents for the `messages` webhook, as received.

use secrecy::SecretString;
use warden_delivery::DeliveryStatus;
use warden_meta::{
    parse_webhook, MessageKind, MetaMessage, SignatureVerifier, StatusUpdate, WebhookBatch,
};
use warden_types::Provider;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../fixtures/", $name, ".json")).as_slice()
    };
}

const PHONE_NUMBER_ID: &str = "106540352242922";
const SENDER: &str = "+16505551234";

fn parse(raw: &[u8]) -> WebhookBatch {
    let batch = parse_webhook(raw).unwrap();
    assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
    batch
}

fn only_message(raw: &[u8]) -> MetaMessage {
    let mut batch = parse(raw);
    assert!(batch.statuses.is_empty());
    assert_eq!(batch.messages.len(), 1);
    let message = batch.messages.remove(0);
    assert_eq!(message.phone_number_id, PHONE_NUMBER_ID);
    assert_eq!(message.inbound.provider, Provider::Meta);
    assert_eq!(message.inbound.from.as_e164(), SENDER);
    assert!(message.inbound.id.as_str().starts_with("wamid."));
    message
}

fn only_status(raw: &[u8]) -> StatusUpdate {
    let mut batch = parse(raw);
    assert!(batch.messages.is_empty());
    assert_eq!(batch.statuses.len(), 1);
    let status = batch.statuses.remove(0);
    assert_eq!(status.phone_number_id, PHONE_NUMBER_ID);
    status
}

#[test]
fn text_message_becomes_an_inbound_message() {
    let m = only_message(fixture!("text"));
    assert_eq!(m.kind, MessageKind::Text);
    assert_eq!(
        m.inbound.id.as_str(),
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    );
    assert_eq!(m.inbound.body.as_str(), "Does it come in another color?");
    assert_eq!(m.inbound.media_count, 0);
    assert!(!m.kind.wants_text_only_reply());
}

#[test]
fn reply_button_yields_the_bot_defined_id_not_the_title() {
    let m = only_message(fixture!("interactive_button_reply"));
    assert_eq!(m.kind, MessageKind::InteractiveReply);
    assert_eq!(m.inbound.body.as_str(), "change-button");
    assert_eq!(m.inbound.media_count, 0);
}

#[test]
fn list_reply_yields_the_row_id_not_the_title() {
    let m = only_message(fixture!("interactive_list_reply"));
    assert_eq!(m.kind, MessageKind::InteractiveReply);
    assert_eq!(m.inbound.body.as_str(), "priority_express");
}

#[test]
fn template_quick_reply_yields_its_payload() {
    let m = only_message(fixture!("template_button"));
    assert_eq!(m.kind, MessageKind::InteractiveReply);
    assert_eq!(m.inbound.body.as_str(), "Unsubscribe");
}

#[test]
fn media_messages_carry_no_caption_or_file_name() {
    for raw in [
        fixture!("image"),
        fixture!("audio"),
        fixture!("video"),
        fixture!("document"),
        fixture!("sticker"),
    ] {
        let m = only_message(raw);
        assert_eq!(m.kind, MessageKind::Media);
        assert_eq!(m.inbound.body.as_str(), "");
        assert_eq!(m.inbound.media_count, 1);
        assert!(m.kind.wants_text_only_reply());
    }
}

#[test]
fn location_and_contacts_carry_no_content() {
    for (raw, kind) in [
        (fixture!("location"), MessageKind::Location),
        (fixture!("contacts"), MessageKind::Contacts),
    ] {
        let m = only_message(raw);
        assert_eq!(m.kind, kind);
        assert_eq!(m.inbound.body.as_str(), "");
        assert_eq!(m.inbound.media_count, 1);
        assert!(m.kind.wants_text_only_reply());
    }
}

#[test]
fn reaction_does_not_ask_for_a_reply() {
    let m = only_message(fixture!("reaction"));
    assert_eq!(m.kind, MessageKind::Reaction);
    assert_eq!(m.inbound.body.as_str(), "");
    assert!(!m.kind.wants_text_only_reply());
}

#[test]
fn unsupported_and_unknown_types_get_the_text_only_answer() {
    for raw in [fixture!("unsupported"), fixture!("unknown")] {
        let m = only_message(raw);
        assert_eq!(m.kind, MessageKind::Unsupported);
        assert_eq!(m.inbound.body.as_str(), "");
        assert_eq!(m.inbound.media_count, 1);
        assert!(m.kind.wants_text_only_reply());
    }
}

#[test]
fn batch_of_two_messages_keeps_order_and_decodes_escapes() {
    let batch = parse(fixture!("batch_two_messages"));
    let bodies: Vec<_> = batch
        .messages
        .iter()
        .map(|m| m.inbound.body.as_str())
        .collect();
    assert_eq!(bodies, ["list", "add Buy stamps é 📮"]);
    assert_ne!(batch.messages[0].inbound.id, batch.messages[1].inbound.id);
}

#[test]
fn delivery_statuses_map_to_the_outbox_states() {
    for (raw, expected, secs) in [
        (fixture!("status_sent"), DeliveryStatus::Sent, 1_750_263_773),
        (
            fixture!("status_delivered"),
            DeliveryStatus::Delivered,
            1_750_263_774,
        ),
        (fixture!("status_read"), DeliveryStatus::Read, 1_750_263_790),
    ] {
        let s = only_status(raw);
        assert_eq!(s.status, expected);
        assert_eq!(s.error_code, None);
        assert_eq!(s.timestamp_secs, Some(secs));
        assert_eq!(
            s.provider_id.as_str(),
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA"
        );
    }
}

#[test]
fn failed_status_keeps_the_code_but_not_the_error_text_or_recipient() {
    let s = only_status(fixture!("status_failed"));
    assert_eq!(s.status, DeliveryStatus::Failed);
    assert_eq!(s.error_code, Some(131047));
    assert_eq!(s.timestamp_secs, Some(1_750_263_800));
    let shown = format!("{s:?}");
    assert!(!shown.contains("6505551234"), "{shown}");
    assert!(!shown.contains("24 hours"), "{shown}");
}

#[test]
fn fixtures_verify_as_signed_bytes_and_parse_after_verification() {
    // The edge's order: verify the raw bytes, then parse those same bytes.
    let verifier = SignatureVerifier::new(SecretString::from("app-secret".to_owned()));
    let raw = fixture!("batch_two_messages");
    let header = verifier.sign(raw);
    assert_eq!(verifier.verify(raw, Some(&header)), Ok(()));
    assert_eq!(parse(raw).messages.len(), 2);
    // The same JSON re-serialised (escapes decoded) is not what Meta signed.
    let reserialised =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(raw).unwrap()).unwrap();
    assert!(verifier.verify(&reserialised, Some(&header)).is_err());
}
