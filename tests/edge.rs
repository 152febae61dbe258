//! The HTTP edge refuses what is not a Twilio form before it costs anything, and never echoes
//! what it refused.

use anyhow::Result;
use warden_simulators::TwilioSimulator;

use crate::support::{
    assert_absent, encode, phone_needles, with_field, Backend, Gateway, Settings, ALICE,
};

on_both_backends!(
    oversized_body_is_rejected_413,
    non_form_body_is_rejected_415,
    malformed_field_is_rejected_400_without_echoing_it,
);

type Form = Vec<(String, String)>;

async fn assert_untouched(gw: &Gateway) -> Result<()> {
    for table in ["inbound_messages", "tasks", "audit_log", "sender_state"] {
        assert_eq!(gw.count(table).await?, 0, "{table}");
    }
    Ok(())
}

async fn oversized_body_is_rejected_413(backend: Backend) -> Result<()> {
    const DEFAULT_MAX: usize = 64 * 1024;
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let sid = TwilioSimulator::new_sid();
    let big = |n: usize| {
        gw.twilio
            .form(&ALICE.phone(), &format!("add {}", "x".repeat(n)), &sid)
    };

    // Correctly signed, just over the default limit: refused before it is parsed or verified.
    let over = big(DEFAULT_MAX);
    assert!(encode(&over)?.len() > DEFAULT_MAX);
    let answer = gw.post_signed(&over).await?;
    assert_eq!(answer.status, 413);
    assert_untouched(&gw).await?;

    // The control: the same message just under the limit gets through the edge (and is then
    // rejected by the grammar as too long, which is a 200 with a reply).
    let under = big(DEFAULT_MAX - 1024);
    assert!(encode(&under)?.len() < DEFAULT_MAX);
    let answer = gw.post_signed(&under).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(gw.count("inbound_messages").await?, 1);
    assert_eq!(gw.count("tasks").await?, 0);
    gw.finish().await?;

    // A configured limit is honoured too.
    let gw = Gateway::start_with(backend, Settings::new().max_body_bytes(2048)).await?;
    let answer = gw
        .post_signed(&gw.twilio.form(&ALICE.phone(), &"y".repeat(2048), &sid))
        .await?;
    assert_eq!(answer.status, 413);
    assert_untouched(&gw).await?;
    gw.finish().await
}

async fn non_form_body_is_rejected_415(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let form = gw
        .twilio
        .form(&ALICE.phone(), "add json", &TwilioSimulator::new_sid());
    let signature = gw.twilio.sign(&form);
    let body = encode(&form)?;

    for content_type in [
        Some("application/json"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let answer = gw
            .post_raw(content_type, body.clone(), Some(&signature))
            .await?;
        assert_eq!(answer.status, 415, "{content_type:?}");
    }
    let json = r#"{"From":"whatsapp:+14155550101","Body":"add json"}"#;
    let answer = gw
        .post_raw(Some("application/json"), json, Some(&signature))
        .await?;
    assert_eq!(answer.status, 415);
    assert_untouched(&gw).await?;

    // The control: the same bytes as a form are accepted.
    let answer = gw
        .post_raw(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            body,
            Some(&signature),
        )
        .await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.reply().as_deref(), Some("Added task 1: json"));
    gw.finish().await
}

async fn malformed_field_is_rejected_400_without_echoing_it(backend: Backend) -> Result<()> {
    let gw = Gateway::start_with(backend, Settings::new().allow(&[ALICE])).await?;
    let form = gw
        .twilio
        .form(&ALICE.phone(), "add hello", &TwilioSimulator::new_sid());
    let injected_sid = "SM<script>alert(4155550101)</script>";

    // Each case is correctly signed: it is authentic, but not a WhatsApp text we can act on.
    // (field the answer must name, the altered form, the value it must not echo)
    let cases: Vec<(&str, Form, &str)> = vec![
        (
            "MessageSid",
            with_field(&form, "MessageSid", injected_sid),
            injected_sid,
        ),
        ("From", with_field(&form, "From", ALICE.e164), ALICE.e164),
        (
            "From",
            with_field(&form, "From", "whatsapp:+1415555O1O1"),
            "1415555O1O1",
        ),
        (
            "From",
            form.iter().filter(|(k, _)| k != "From").cloned().collect(),
            "whatsapp:",
        ),
        (
            "SmsStatus",
            with_field(&form, "SmsStatus", "delivered-4155550101"),
            "delivered",
        ),
        (
            "NumMedia",
            with_field(&form, "NumMedia", "99999999999"),
            "99999999999",
        ),
    ];
    for (field, altered, value) in cases {
        let answer = gw.post_signed(&altered).await?;
        assert_eq!(answer.status, 400, "{field}: {}", answer.body);
        assert!(
            answer.body.contains(field),
            "names {field}: {}",
            answer.body
        );
        let mut needles = phone_needles();
        needles.extend([value.to_owned(), "<script>".to_owned(), "hello".to_owned()]);
        assert_absent(&answer.body, &needles, "the 400 answer");
    }

    // Not even a form: percent-decodes to invalid UTF-8. Refused before the signature check.
    let answer = gw
        .post_raw(
            Some("application/x-www-form-urlencoded"),
            "Body=%FF%FEsecret+4155550101",
            None,
        )
        .await?;
    assert_eq!(answer.status, 400);
    assert_absent(
        &answer.body,
        &["secret".to_owned(), "4155550101".to_owned()],
        "the 400 answer",
    );

    assert_eq!(gw.count("inbound_messages").await?, 0);
    assert_eq!(gw.count("tasks").await?, 0);
    gw.finish().await
}
