#!/usr/bin/env python3
"""Builds the fresh redaction corpus (issue 16): phones.tsv, clean.txt, secrets.tsv, hardneg.tsv.

Written without reading the redactor or its other corpora, so the figures it gives are an
independent estimate. Every phone number is drawn at random inside a real numbering plan and
kept only if Python `phonenumbers` (libphonenumber's metadata) calls it valid; every secret is
random text in its provider's published shape. The seed is fixed, so a rerun rewrites the same
files: `pip install phonenumbers==9.0.43 && python3 make_fresh.py`.
"""

import base64
import hashlib
import json
import os
import random
import re
import string
import uuid

import phonenumbers as pn
from phonenumbers import PhoneNumberFormat as F
from phonenumbers import PhoneNumberType as T

R = random.Random(1616)
HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- phones

REGIONS = [
    "US", "CA", "GB", "IE", "DE", "AT", "CH", "FR", "BE", "NL", "LU", "ES", "PT", "IT", "GR",
    "SE", "NO", "DK", "FI", "IS", "PL", "CZ", "SK", "HU", "RO", "BG", "HR", "RS", "SI", "UA",
    "RU", "TR", "IL", "AE", "SA", "QA", "KW", "JO", "LB", "EG", "MA", "DZ", "TN", "NG", "GH",
    "KE", "UG", "TZ", "ET", "ZA", "IN", "PK", "BD", "LK", "NP", "CN", "HK", "TW", "JP", "KR",
    "SG", "MY", "ID", "PH", "TH", "VN", "AU", "NZ", "BR", "AR", "MX", "CO", "CL", "PE", "VE",
    "EC", "UY", "IR", "IQ", "KZ", "GE", "AM", "CM", "SN", "CI",
]
USED_NUMBERS = set()


def valid_number(region, kind=None):
    """A random valid number of `region` (mobile unless `kind`), never the same twice."""
    kinds = [kind] if kind else [T.MOBILE, T.MOBILE, T.MOBILE, T.FIXED_LINE]
    for _ in range(4000):
        k = R.choice(kinds)
        ex = pn.example_number_for_type(region, k)
        if ex is None:
            ex = pn.example_number(region)
        nsn = str(ex.national_number)
        keep = max(2, len(nsn) - R.randint(4, 7))
        cand = nsn[:keep] + "".join(R.choice(string.digits) for _ in nsn[keep:])
        num = pn.parse("+%d%s" % (ex.country_code, cand))
        e164 = pn.format_number(num, F.E164)
        if pn.is_valid_number(num) and e164 not in USED_NUMBERS and "5550" not in e164:
            if kind is None or pn.number_type(num) in (kind, T.FIXED_LINE_OR_MOBILE):
                USED_NUMBERS.add(e164)
                return num
    raise RuntimeError("no number for " + region)


FULLWIDTH = {**{str(d): chr(0xFF10 + d) for d in range(10)}, "+": "\uff0b", "-": "\uff0d"}
ARABIC_INDIC = {str(d): chr(0x0660 + d) for d in range(10)}
PERSIAN = {str(d): chr(0x06F0 + d) for d in range(10)}
DEVANAGARI = {str(d): chr(0x0966 + d) for d in range(10)}
BENGALI = {str(d): chr(0x09E6 + d) for d in range(10)}
THAI = {str(d): chr(0x0E50 + d) for d in range(10)}


def tr(s, table):
    return "".join(table.get(c, c) for c in s)


def intl(n):
    return pn.format_number(n, F.INTERNATIONAL)


def natl(n):
    return pn.format_number(n, F.NATIONAL)


def e164(n):
    return pn.format_number(n, F.E164)


def bare(n):
    return e164(n)[1:]


def cc(n):
    return str(n.country_code)


def nsn(n):
    return pn.national_significant_number(n)


def styled(n, style):
    """One written form of `n`; the caller decides which region to hint."""
    i = intl(n)
    if style == "intl":
        return i
    if style == "e164":
        return e164(n)
    if style == "natl":
        return natl(n)
    if style == "dots":
        return re.sub(r"[ \-]", ".", i)
    if style == "dots_natl":
        return re.sub(r"[ \-()]+", ".", natl(n)).strip(".")
    if style == "slash":
        parts = natl(n).replace("(", "").replace(")", "").split(" ", 1)
        return parts[0] + "/" + parts[1].replace(" ", "") if len(parts) == 2 else natl(n)
    if style == "nbsp":
        return i.replace(" ", "\u00a0")
    if style == "nnbsp":
        return i.replace(" ", "\u202f").replace("-", "\u202f")
    if style == "endash":
        return i.replace(" ", "\u2013").replace("+\u2013", "+")
    if style == "hyphen_all":
        return "+" + cc(n) + "-" + "-".join(re.split(r"[ \-]", i)[1:])
    if style == "00":
        return "00" + i[1:]
    if style == "00_tight":
        return "00" + bare(n)
    if style == "011":
        return "011 " + i[1:]
    if style == "paren_cc":
        return "(+" + cc(n) + ") " + " ".join(re.split(r"[ \-]", i)[1:])
    if style == "trunk0":
        meta = pn.PhoneMetadata.metadata_for_region(pn.region_code_for_number(n))
        if meta is None or meta.national_prefix != "0":
            return i
        rest = nsn(n)
        return "+%s (0)%s %s" % (cc(n), rest[:3], rest[3:])
    if style == "fullwidth":
        return tr(i, FULLWIDTH)
    if style == "grouped2":
        d = nsn(n)
        return "+" + cc(n) + " " + " ".join(d[k:k + 2] for k in range(0, len(d), 2))
    if style == "no_space":
        return "+" + cc(n) + nsn(n)
    raise ValueError(style)


PHONE_LINES = []


def add_phone(region, template, *numbers):
    """`template` holds `{}` per number; each number is a (written form) string."""
    parts = template.split("{}")
    assert len(parts) == len(numbers) + 1, template
    line = parts[0]
    for s, rest in zip(numbers, parts[1:]):
        line += "[[" + s + "]]" + rest
    PHONE_LINES.append((region, line))


def rand_region():
    return R.choice(REGIONS)


# Sentences in many languages. {} is the number.
LANG_TEMPLATES = [
    ("ES", "Llámame al {} cuando salgas del trabajo."),
    ("MX", "Mi número nuevo es {}, guárdalo porfa."),
    ("AR", "Escribime al {} y coordinamos la entrega."),
    ("CO", "Para pedidos comuníquese al {} de lunes a sábado."),
    ("DE", "Ruf mich bitte unter {} an, ich bin ab 18 Uhr erreichbar."),
    ("AT", "Meine Handynummer lautet {}."),
    ("CH", "Erreichbar unter {} (Mo–Fr 8–17 Uhr)."),
    ("FR", "Appelez-moi au {} dès que possible."),
    ("BE", "Mon GSM : {} — laissez un message."),
    ("IT", "Chiamami al {} dopo le 19."),
    ("NL", "Bel me even op {}, ik zit in de trein."),
    ("PT", "Liga-me para o {} amanhã de manhã."),
    ("BR", "Me chama no zap {} que eu te passo o endereço."),
    ("PL", "Zadzwoń pod numer {} w sprawie faktury."),
    ("CZ", "Zavolejte mi na {} prosím."),
    ("RO", "Sună-mă la {} când ajungi."),
    ("HU", "Hívj a {} számon."),
    ("SE", "Ring mig på {} i eftermiddag."),
    ("NO", "Send meg en SMS på {}."),
    ("DK", "Ring til mig på {} efter kl. 16."),
    ("FI", "Soita numeroon {} huomenna."),
    ("GR", "Καλέστε με στο {} το απόγευμα."),
    ("RU", "Позвоните мне по номеру {} после обеда."),
    ("UA", "Мій номер {}, пишіть у вайбер."),
    ("TR", "Beni {} numarasından arayabilirsiniz."),
    ("IL", "תתקשר אליי למספר {} בערב."),
    ("SA", "اتصل بي على الرقم {} بعد المغرب."),
    ("AE", "للحجز يرجى الاتصال على {}."),
    ("EG", "كلمني على {} لو محتاج حاجة."),
    ("IR", "لطفا با شماره {} تماس بگیرید."),
    ("IN", "मुझे {} पर कॉल करें।"),
    ("IN", "Please call me on {} regarding the delivery."),
    ("PK", "مجھے {} پر کال کریں۔"),
    ("BD", "আমাকে {} নম্বরে ফোন করুন।"),
    ("CN", "我的手机号是{}，有事联系。"),
    ("TW", "請撥打{}與我聯絡。"),
    ("HK", "有問題請致電{}。"),
    ("JP", "お問い合わせは{}までお電話ください。"),
    ("KR", "연락처는 {} 입니다."),
    ("TH", "โทรหาฉันที่ {} ได้เลย"),
    ("VN", "Gọi cho tôi theo số {} nhé."),
    ("ID", "Hubungi saya di {} ya kak."),
    ("MY", "Boleh WhatsApp saya di {}."),
    ("PH", "Text mo ako sa {} pag nandito ka na."),
    ("KE", "Nipigie kwa {} kesho asubuhi."),
    ("TZ", "Nitumie ujumbe kwa {}."),
    ("NG", "Abeg call me for {} when you reach."),
    ("ZA", "Bel my asseblief by {}."),
    ("GH", "Call me on {} for the order."),
    ("MA", "Appelle-moi sur {} stp."),
    ("SN", "Contactez-nous au {} pour la réservation."),
    ("CI", "Mon numéro Orange : {}."),
    ("KZ", "Позвоните по телефону {}."),
    ("GE", "დამირეკეთ ნომერზე {}."),
    ("AM", "Զանգահարեք {} համարով։"),
    ("LK", "කරුණාකර {} අමතන්න."),
    ("NP", "मलाई {} मा फोन गर्नुहोस्।"),
    ("IS", "Hringdu í mig í síma {}."),
    ("HR", "Nazovi me na {} poslije posla."),
    ("RS", "Позови ме на {} сутра."),
    ("BG", "Обадете ми се на {}."),
    ("SK", "Zavolajte mi na číslo {}."),
    ("SI", "Pokliči me na {}."),
    ("US", "Text me at {} when you land."),
    ("CA", "Call the front desk at {} if the door is locked."),
    ("GB", "Ring me on {} after half five."),
    ("IE", "Give us a bell on {} tomorrow."),
    ("AU", "Give me a call on {} this arvo."),
    ("NZ", "Flick me a text on {}."),
    ("SG", "Can whatsapp me at {} lah."),
    ("CL", "Llámame al {} al tiro."),
    ("PE", "Comunícate al {} para confirmar tu cita."),
    ("UY", "Mi celular es {}."),
    ("EC", "Escríbeme al {} por WhatsApp."),
    ("VE", "Mi número es {}, avísame."),
    ("QA", "Contact our Doha office on {}."),
    ("KW", "للاستفسار: {}"),
    ("JO", "رقمي {} ابعتلي رسالة."),
    ("LB", "Call me on {} habibi."),
    ("DZ", "Appelez le {} pour plus d'infos."),
    ("TN", "Contact : {}"),
    ("UG", "Call me on {} for the boda."),
    ("ET", "በ {} ይደውሉልኝ።"),
    ("CM", "Appelez-moi au {} svp."),
    ("IQ", "اتصل على {}"),
    ("LU", "Rufft mech op {} un."),
]

NATIONAL_STYLES = ["natl", "natl", "dots_natl", "slash"]
INTL_STYLES = ["intl", "e164", "dots", "nbsp", "nnbsp", "endash", "hyphen_all", "00", "00_tight",
               "paren_cc", "trunk0", "grouped2", "no_space"]


def gen_phones():
    # 1. Sentences in many languages, national form with the region hint, and international
    #    form with no hint.
    for region, tpl in LANG_TEMPLATES:
        n = valid_number(region)
        add_phone(region, tpl, styled(n, R.choice(NATIONAL_STYLES)))
        n = valid_number(region)
        add_phone("-", tpl, styled(n, R.choice(INTL_STYLES)))
        n = valid_number(region)
        add_phone(R.choice(["US", "GB", "DE", region]), tpl, styled(n, R.choice(INTL_STYLES)))

    # 2. Native digits.
    native = [
        ("EG", ARABIC_INDIC, "رقم الموبايل: {}"),
        ("SA", ARABIC_INDIC, "جوالي {} للتواصل"),
        ("AE", ARABIC_INDIC, "هاتف: {}"),
        ("JO", ARABIC_INDIC, "تواصل معي على {}"),
        ("IQ", ARABIC_INDIC, "رقمي {}"),
        ("IR", PERSIAN, "شماره من {} است"),
        ("IR", PERSIAN, "تلفن تماس: {}"),
        ("PK", PERSIAN, "میرا نمبر {} ہے"),
        ("IN", DEVANAGARI, "मेरा नंबर {} है"),
        ("NP", DEVANAGARI, "फोन: {}"),
        ("BD", BENGALI, "ফোন: {}"),
        ("TH", THAI, "เบอร์โทร {}"),
    ]
    for region, table, tpl in native:
        for _ in range(3):
            n = valid_number(region)
            form = R.choice(["natl", "intl", "e164"])
            add_phone(region if form == "natl" else "-", tpl, tr(styled(n, form), table))
    for _ in range(12):
        region = R.choice(["JP", "CN", "TW", "KR", "HK"])
        n = valid_number(region)
        form = R.choice(["natl", "intl"])
        tpl = R.choice(["電話：{}", "携帯 {} までご連絡ください", "TEL {}", "联系电话：{}", "전화 {}"])
        add_phone(region if form == "natl" else "-", tpl, tr(styled(n, form), FULLWIDTH))

    # 3. CSV and JSON exports.
    first = ["Ana", "Lukas", "Priya", "Chen", "Fatima", "Olu", "Maria", "Jonas", "Aiko", "Omar",
             "Sofia", "Mehmet", "Nadia", "Tomás", "Ingrid", "Kwame", "Yuki", "Rahul", "Lea", "Ivan"]
    last = ["Silva", "Meyer", "Sharma", "Wang", "Haddad", "Adeyemi", "García", "Berg", "Sato",
            "Nasser", "Rossi", "Yılmaz", "Khan", "Pereira", "Larsen", "Mensah", "Tanaka", "Gupta"]
    for k in range(30):
        region = rand_region()
        n = valid_number(region)
        name = R.choice(first) + " " + R.choice(last)
        form = R.choice(["e164", "intl", "bare", "natl", "00_tight"])
        s = bare(n) if form == "bare" else styled(n, form)
        hint = region if form in ("natl", "bare") else "-"
        rows = [
            '%d,"{}",%s,%s,2026-11-%02d' % (1000 + k, name, region, R.randint(1, 28)),
            '%d;%s;{};opt-in;%s' % (k + 1, name, region),
            '"%s","{}","%s","active"' % (name, region),
            '%s|{}|%d' % (name, R.randint(1, 99)),
        ]
        add_phone(hint, R.choice(rows), s)
    for k in range(30):
        region = rand_region()
        n = valid_number(region)
        form = R.choice(["e164", "intl", "bare", "natl"])
        s = bare(n) if form == "bare" else styled(n, form)
        hint = region if form in ("natl", "bare") else "-"
        objs = [
            '{"id":%d,"name":"%s","phone":"{}","country":"%s"}' % (k, R.choice(first), region),
            '{"contact":{"wa_id":"{}","profile":{"name":"%s"}}}' % R.choice(first),
            '{"msisdn": "{}", "status": "delivered", "attempts": %d}' % R.randint(1, 3),
            '  "phone_number": "{}",',
            '{"to":"{}","type":"template","template":{"name":"order_update"}}',
        ]
        tpl = R.choice(objs)
        if "wa_id" in tpl:
            s, hint = bare(n), "-"
        add_phone(hint, tpl, s)
    # Several numbers per line.
    for _ in range(10):
        a, b = valid_number(rand_region()), valid_number(rand_region())
        add_phone("-", "{},{},%d,completed" % R.randint(3, 900),
                  e164(a), e164(b))
        add_phone("-", "Forwarded from {} to {} at 14:%02d" % R.randint(0, 59),
                  styled(a, "intl"), styled(b, "dots"))

    # 4. vCards and e-mail signatures.
    for _ in range(30):
        region = rand_region()
        n = valid_number(region)
        tpl = R.choice([
            "TEL;TYPE=CELL:{}",
            "TEL;TYPE=work,voice;VALUE=uri:tel:{}",
            "item1.TEL;type=pref:{}",
            "TEL;CELL;PREF:{}",
            "TEL;TYPE=HOME:{}",
        ])
        form = R.choice(["e164", "intl", "natl"])
        add_phone(region if form == "natl" else "-", tpl, styled(n, form))
    sigs = [
        "--\nBest regards, Jana Novak | Sales | M: {} | www.example-shop.cz".replace("\n", " "),
        "Mit freundlichen Grüßen · Tel. {} · Fax {}",
        "Cordialement, Service client — Tél : {} — Mob : {}",
        "Kind regards | Office {} | Mobile {}",
        "Saludos, Dpto. Ventas · T {} · M {}",
        "Sent from my iPhone · {}",
        "M {} | E jo@example.org | LinkedIn /in/jo",
        "Phone: {} ext. 214 | Hours 9–5 PT",
        "Tel.: {} – Durchwahl -37",
        "Direct: {} x4417",
        "Tél. {} poste 12",
    ]
    for tpl in sigs:
        for _ in range(3):
            region = rand_region()
            nums = [valid_number(region) for _ in range(tpl.count("{}"))]
            forms = [R.choice(["intl", "trunk0", "natl", "paren_cc", "dots"]) for _ in nums]
            hint = region if "natl" in forms else "-"
            add_phone(hint, tpl, *[styled(x, f) for x, f in zip(nums, forms)])

    # 5. Logs.
    for _ in range(16):
        n = valid_number(rand_region())
        add_phone("-", '203.0.113.%d - - [07/Dec/2026:21:%02d:11 +0000] "POST /webhook/twilio HTTP/1.1" 200 0 "-" "TwilioProxy/1.1" body="From=whatsapp%%3A%%2B{}&To=whatsapp%%3A%%2B{}"' % (R.randint(2, 250), R.randint(0, 59)),
                  bare(n), bare(valid_number("US")))
    for _ in range(12):
        n = valid_number(rand_region())
        add_phone("-", '198.51.100.%d - - [07/Dec/2026:22:%02d:40 +0000] "GET /send?phone={}&text=hi HTTP/2.0" 302 145' % (R.randint(2, 250), R.randint(0, 59)), bare(n))
    for _ in range(14):
        n = valid_number(rand_region())
        add_phone("-", 'level=info ts=2026-12-07T22:%02d:03Z msg="twilio inbound" MessageSid=SM%s From=whatsapp:{} NumMedia=0' % (R.randint(0, 59), "".join(R.choice("0123456789abcdef") for _ in range(32))), e164(n))
    for _ in range(14):
        n = valid_number(rand_region())
        add_phone("-", '{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"from":"{}","id":"wamid.HBgL%s","type":"text"}]}}]}]}' % "".join(R.choice(string.ascii_letters + string.digits) for _ in range(20)), bare(n))
    for _ in range(12):
        n = valid_number(rand_region())
        add_phone("-", 'warden-7c9d6b8f4-x2k9q warden {"level":"WARN","target":"delivery","msg":"send failed","to":"{}","status":470}', e164(n))
    for _ in range(10):
        n = valid_number(rand_region())
        add_phone("-", 'kubectl logs sms-gw-0 | grep failed → 2026-12-07 22:%02d:51 ERROR dispatch to={} code=30007' % R.randint(0, 59), styled(n, R.choice(["e164", "intl"])))
    for _ in range(8):
        n = valid_number(rand_region())
        add_phone("-", "Dec  7 22:%02d:01 pbx asterisk[812]: -- Called PJSIP/{}@trunk" % R.randint(0, 59), "00" + bare(n))

    # 6. SMS templates and chat.
    sms = [
        "Your courier will call you from {}. Reply STOP to opt out.",
        "Votre rendez-vous est confirmé. Pour annuler, appelez le {}.",
        "Ihr Paket kommt heute. Rückfragen: {}",
        "Código enviado. Si no fuiste tú, llama al {}.",
        "Missed call from {} (2 times)",
        "New voicemail from {}, 0:42",
        "Hi! This is Sam from the agency, my cell is {}",
        "pls call {} asap!!!",
        "number: {}. thx",
        "ok my new no is {}",
    ]
    for tpl in sms:
        for _ in range(4):
            region = rand_region()
            n = valid_number(region)
            form = R.choice(["natl", "intl", "e164", "no_space", "grouped2", "dots"])
            add_phone(region if form == "natl" else "-", tpl, styled(n, form))

    # 7. URLs.
    urls = [
        "https://wa.me/{}",
        "Chat with us: https://wa.me/{}?text=Hola",
        "<a href=\"https://api.whatsapp.com/send?phone={}&text=Hi\">WhatsApp</a>",
        "https://api.whatsapp.com/send/?phone={}&type=phone_number&app_absent=0",
        "whatsapp://send?phone={}",
        "https://t.me/+{}",
        "viber://chat?number=%2B{}",
        "https://signal.me/#p/+{}",
    ]
    for tpl in urls:
        for _ in range(5):
            n = valid_number(rand_region())
            add_phone("-", tpl, bare(n))
    for tpl in ['<a href="tel:{}">Call</a>', "tel:{}", "sms:{}?body=STOP", '<a href="sms:{}">Text us</a>',
                "[Call us](tel:{})", "callto:{}"]:
        for _ in range(5):
            n = valid_number(rand_region())
            form = R.choice(["e164", "e164", "hyphen_all"])
            add_phone("-", tpl, styled(n, form))

    # 8. Glued to letters and punctuation.
    glued = [
        "Tel:{}", "Tel.{}", "Mob:{};", "phone:{},email:x@example.org", "Call({})", "WhatsApp+{}",
        "num={}&ref=sig", "☎{}", "📞{}", "📱{}", "tlf.{}", "→{}←", "«{}»", "„{}“", "{}!!", "({})",
        "[{}]", "номер:{}", "電話{}", "cel{}",
    ]
    for tpl in glued:
        for _ in range(2):
            region = rand_region()
            n = valid_number(region)
            if tpl in ("WhatsApp+{}",):
                s, hint = bare(n), "-"
            else:
                form = R.choice(["e164", "natl", "intl"])
                s, hint = styled(n, form), (region if form == "natl" else "-")
            add_phone(hint, tpl, s)

    # 9. International prefixes from the default region, and extensions.
    for _ in range(20):
        n = valid_number(rand_region())
        add_phone(R.choice(["US", "CA"]), R.choice(["Dial {} from the US.", "international: {}", "call {} (intl)"]), styled(n, "011"))
    for _ in range(20):
        region = rand_region()
        n = valid_number(region)
        add_phone(R.choice(["DE", "FR", "GB", "IT", "ES", region]), R.choice(["Aus dem Ausland: {}", "Numéro : {}", "dial {}"]), styled(n, R.choice(["00", "00_tight"])))
    for _ in range(20):
        region = R.choice(["US", "CA", "GB", "DE", "AU", "IN", "FR"])
        n = valid_number(region, T.FIXED_LINE)
        form = R.choice(["natl", "intl"])
        ext = str(R.randint(10, 9999))
        tpl = R.choice(["Main line {} ext. " + ext, "{} x" + ext, "{};ext=" + ext, "{} #" + ext, "{} (Durchwahl " + ext + ")", "{} poste " + ext])
        add_phone(region if form == "natl" else "-", tpl, styled(n, form))

    # 10. Unusual separators and fixed lines across many plans.
    for style in ["dots", "nbsp", "nnbsp", "endash", "slash", "trunk0", "paren_cc", "grouped2", "fullwidth", "hyphen_all"]:
        for _ in range(5):
            region = rand_region()
            n = valid_number(region, R.choice([T.MOBILE, T.FIXED_LINE]))
            hint = region if style in ("slash",) else "-"
            add_phone(hint, R.choice(["Contact: {}", "Hotline {}", "{} (24/7)", "Reservations — {}", "Tel {} / fax n/a"]), styled(n, style))
    for _ in range(25):
        region = rand_region()
        n = valid_number(region, T.FIXED_LINE)
        form = R.choice(["natl", "intl", "dots_natl"])
        add_phone(region if form != "intl" else "-", R.choice(["Office: {}", "Reception {}", "Bureau : {}", "Büro {}", "Oficina {}"]), styled(n, form))
    # Toll-free numbers.
    for region in ["US", "GB", "DE", "FR", "AU", "IN", "BR", "ES", "IT", "JP"]:
        try:
            n = valid_number(region, T.TOLL_FREE)
        except RuntimeError:
            continue
        add_phone(region, "Free call: {}", natl(n))


# ------------------------------------------------------------------ clean


def gen_clean():
    out = []
    d = lambda a, b: R.randint(a, b)
    tpls = [
        lambda: "Order #%d shipped on 2026-%02d-%02d, total €%d.%02d" % (d(100000, 999999), d(1, 12), d(1, 28), d(10, 999), d(0, 99)),
        lambda: "Invoice INV-%d-%05d due %02d/%02d/2027" % (d(2024, 2026), d(1, 99999), d(1, 28), d(1, 12)),
        lambda: "Meeting moved to %02d:%02d–%02d:%02d CET on %02d.12.2026" % (d(8, 11), d(0, 59), d(12, 17), d(0, 59), d(1, 31)),
        lambda: "Server 10.%d.%d.%d responded in %d ms (p99 %d ms)" % (d(0, 255), d(0, 255), d(1, 254), d(1, 900), d(900, 4000)),
        lambda: "Build %d.%d.%d+%d passed %d/%d tests in %d.%ds" % (d(0, 9), d(0, 40), d(0, 20), d(1000, 9999), d(100, 999), d(1000, 1200), d(10, 300), d(0, 9)),
        lambda: "Tracking: 1Z%s%08d" % ("".join(R.choice(string.ascii_uppercase + string.digits) for _ in range(8)), d(0, 99999999)),
        lambda: "ISBN 978-%d-%03d-%05d-%d" % (d(0, 9), d(100, 999), d(10000, 99999), d(0, 9)),
        lambda: "Coordinates %.6f, %.6f (elev. %d m)" % (R.uniform(-80, 80), R.uniform(-170, 170), d(0, 4000)),
        lambda: "Population grew from %s to %s between 2010 and 2020" % (format(d(1000000, 9000000), ","), format(d(9000000, 20000000), ",")),
        lambda: "Temperature %d.%d°C, humidity %d%%, pressure %d hPa" % (d(-10, 40), d(0, 9), d(10, 99), d(980, 1040)),
        lambda: "Flight LH%d departs gate B%d at %02d:%02d, seat %d%s" % (d(100, 2999), d(1, 60), d(0, 23), d(0, 59), d(1, 45), R.choice("ABCDEF")),
        lambda: "Room %d, floor %d, building %d — %d m² " % (d(100, 999), d(1, 30), d(1, 12), d(10, 300)),
        lambda: "Lot %d-%d-%d expires 2027-%02d" % (d(10, 99), d(1000, 9999), d(10, 99), d(1, 12)),
        lambda: "Score %d:%d after %d minutes, %d spectators" % (d(0, 6), d(0, 6), d(1, 120), d(1000, 90000)),
        lambda: "Price per share $%d.%02d, volume %d, market cap $%d.%dB" % (d(1, 900), d(0, 99), d(100000, 99999999), d(1, 900), d(0, 9)),
        lambda: "PLZ %05d Berlin, Hausnummer %d" % (d(10000, 14199), d(1, 200)),
        lambda: "ZIP %05d-%04d" % (d(10000, 99999), d(0, 9999)),
        lambda: "Postcode SW1A %d%s" % (d(1, 9), R.choice(["AA", "BB", "HQ"])),
        lambda: "Patient weighed %d.%d kg, BP %d/%d, pulse %d" % (d(40, 120), d(0, 9), d(100, 160), d(60, 100), d(50, 110)),
        lambda: "Download %d.%d MB of %d.%d MB (%d%%) at %d KB/s" % (d(1, 900), d(0, 9), d(900, 2000), d(0, 9), d(1, 99), d(100, 9000)),
        lambda: "Process %d exited with status %d after %d seconds" % (d(1000, 65535), d(0, 255), d(1, 99999)),
        lambda: "Version %d.%d.%d released %d-%02d-%02d" % (d(0, 20), d(0, 99), d(0, 99), d(2019, 2026), d(1, 12), d(1, 28)),
        lambda: "Bus %d leaves at %02d:%02d and %02d:%02d from stop %d" % (d(1, 399), d(5, 12), d(0, 59), d(13, 23), d(0, 59), d(1000, 99999)),
        lambda: "Ref. %d/%d/%d" % (d(1, 99), d(1000, 9999), d(2020, 2026)),
        lambda: "Ticket %s-%d opened %d days ago" % (R.choice(["OPS", "SEC", "DEV", "HR"]), d(1, 99999), d(1, 400)),
        lambda: "Dimensions %d × %d × %d mm, %d g" % (d(10, 900), d(10, 900), d(1, 200), d(10, 9000)),
        lambda: "The year %d saw %d eruptions and %d earthquakes above M%d.%d" % (d(1800, 2025), d(1, 60), d(1, 999), d(4, 8), d(0, 9)),
        lambda: "Timestamp %d (ms since epoch)" % d(1600000000000, 1800000000000),
        lambda: "Unix time %d" % d(1600000000, 1800000000),
        lambda: "Between %d and %d participants, median age %d" % (d(10, 500), d(500, 9000), d(18, 80)),
        lambda: "Progress: %d/%d items, ETA %dh %dm" % (d(1, 9999), d(10000, 99999), d(0, 48), d(0, 59)),
        lambda: "%d.%d.%d.%d/%d is routed via AS%d" % (d(1, 223), d(0, 255), d(0, 255), 0, R.choice([16, 20, 24]), d(1000, 65000)),
        lambda: "2026-12-%02dT%02d:%02d:%02d.%03dZ INFO request handled in %dms status=%d bytes=%d" % (d(1, 28), d(0, 23), d(0, 59), d(0, 59), d(0, 999), d(1, 999), R.choice([200, 201, 204, 304, 404]), d(100, 99999)),
        lambda: "Chapter %d, verse %d–%d; page %d of %d" % (d(1, 50), d(1, 30), d(31, 60), d(1, 900), d(900, 1400)),
        lambda: "Mileage %s km, service due at %s km" % (format(d(10000, 250000), ","), format(d(250000, 300000), ",")),
        lambda: "Loan of £%s at %d.%d%% over %d months" % (format(d(1000, 500000), ","), d(1, 12), d(0, 99), d(12, 360)),
        lambda: "Serial S/N %s%d" % (R.choice(["C02", "FVF", "DMP"]), d(10000000, 99999999)),
        lambda: "Tax year %d/%02d, allowance %d" % (d(2019, 2026), d(20, 27), d(10000, 15000)),
        lambda: "Kontonummer nicht angegeben; Betrag %d,%02d €, fällig am %02d.%02d.%d" % (d(1, 9999), d(0, 99), d(1, 28), d(1, 12), d(2026, 2027)),
        lambda: "La facture n° %d du %02d/%02d/%d s'élève à %d,%02d €" % (d(10000, 99999), d(1, 28), d(1, 12), d(2025, 2026), d(10, 9999), d(0, 99)),
        lambda: "Pedido %d confirmado: %d unidades a %d,%02d €" % (d(1000000, 9999999), d(1, 50), d(1, 999), d(0, 99)),
        lambda: "订单号 %d 已发货，预计 %d 月 %d 日送达" % (d(100000000, 999999999), d(1, 12), d(1, 28)),
        lambda: "注文番号 %d、合計 %s 円" % (d(10000000, 99999999), format(d(1000, 999999), ",")),
        lambda: "Заказ №%d на сумму %d ₽ отправлен %02d.%02d.%d" % (d(100000, 9999999), d(100, 99999), d(1, 28), d(1, 12), d(2025, 2026)),
        lambda: "الطلب رقم %d بقيمة %d ريال" % (d(10000, 9999999), d(10, 9999)),
        lambda: "Sipariş no %d, tutar %d,%02d TL" % (d(100000, 99999999), d(10, 9999), d(0, 99)),
        lambda: "rows %d–%d of %d, page size %d" % (d(1, 500), d(500, 1000), d(1000, 999999), R.choice([25, 50, 100])),
        lambda: "CPU %d%%, mem %d MiB / %d MiB, load %d.%02d %d.%02d %d.%02d" % (d(0, 100), d(100, 8000), d(8000, 64000), d(0, 9), d(0, 99), d(0, 9), d(0, 99), d(0, 9), d(0, 99)),
        lambda: "GPS fix: lat %d°%d'%d\" lon %d°%d'%d\"" % (d(0, 89), d(0, 59), d(0, 59), d(0, 179), d(0, 59), d(0, 59)),
        lambda: "Elevation gain %d m over %d.%d km in %d:%02d:%02d" % (d(10, 3000), d(1, 200), d(0, 9), d(0, 12), d(0, 59), d(0, 59)),
        lambda: "Batch %d of %d: %d records, %d rejected" % (d(1, 99), d(100, 999), d(1000, 99999), d(0, 99)),
        lambda: "MAC %s" % ":".join("%02x" % d(0, 255) for _ in range(6)),
        lambda: "IPv6 2001:db8:%x:%x::%x" % (d(0, 65535), d(0, 65535), d(1, 65535)),
        lambda: "EAN %d%d" % (d(400000, 499999), d(1000000, 9999999)),
        lambda: "Case no. %d-CV-%05d" % (d(19, 26), d(1, 99999)),
        lambda: "Reading %d.%03d kWh on meter M-%d" % (d(1000, 99999), d(0, 999), d(100000, 999999)),
        lambda: "Account created %d days, %d hours ago; %d logins" % (d(1, 3000), d(0, 23), d(1, 99999)),
        lambda: "Cohort %d: %d.%d%% retention at day %d" % (d(2019, 2026), d(1, 99), d(0, 9), R.choice([1, 7, 30, 90])),
        lambda: "Range %d-%d-%d to %d-%d-%d" % (d(1, 9), d(10, 99), d(100, 999), d(1, 9), d(10, 99), d(100, 999)),
        lambda: "Sequence: %s" % ", ".join(str(d(1, 999)) for _ in range(8)),
        lambda: "%d + %d = %d" % ((lambda a, b: (a, b, a + b))(d(1000, 99999), d(1000, 99999))),
        lambda: "Vote count: %s yes, %s no, %s abstained" % (format(d(1000, 999999), ","), format(d(1000, 999999), ","), format(d(100, 99999), ",")),
        lambda: "Interval [%d, %d) of length %d" % ((lambda a, b: (a, b, b - a))(d(0, 5000), d(5001, 99999))),
        lambda: "Doc v%d rev %d, %d words, %d chars" % (d(1, 9), d(1, 99), d(100, 99999), d(1000, 999999)),
        lambda: "Hours: Mon–Fri %d:00–%d:00, Sat %d:00–%d:00" % (d(7, 10), d(16, 20), d(8, 10), d(12, 16)),
        lambda: "We have %d seats left for the %d:%02d show" % (d(1, 99), d(12, 22), R.choice([0, 15, 30, 45])),
        lambda: "Build #%d took %dm%02ds on runner %d" % (d(1000, 99999), d(0, 59), d(0, 59), d(1, 64)),
        lambda: "Offer valid %02d/%02d–%02d/%02d, code SAVE%d" % (d(1, 28), d(1, 12), d(1, 28), d(1, 12), d(5, 50)),
    ]
    seen = set()
    while len(out) < 330:
        line = R.choice(tpls)()
        if line not in seen:
            seen.add(line)
            out.append(line)
    # Hand-written tricky ones: long digit strings that are not phones.
    out += [
        "pi ≈ 3.14159265358979323846",
        "e = 2.718281828459045",
        "sqrt(2) = 1.4142135623730951",
        "Avogadro's constant 6.02214076e23 mol⁻¹",
        "Speed of light 299,792,458 m/s",
        "1 light-year ≈ 9,460,730,472,580.8 km",
        "2^32 = 4294967296 and 2^31 - 1 = 2147483647",
        "u64::MAX is 18446744073709551615",
        "SELECT * FROM events WHERE id BETWEEN 1048576 AND 2097152 LIMIT 500;",
        "chmod 0755 and umask 0022",
        "Port 8080, 8443 and 9090 are open",
        "Docker image node:20.11.1-alpine3.19",
        "python 3.12.1 (main, Dec  7 2026, 22:10:03) [GCC 12.2.0]",
        "Resolution 1920x1080 @ 144 Hz, 3840x2160 @ 60 Hz",
        "Dec 07 22:10:03 host kernel: [123456.789012] usb 1-1.4: new high-speed USB device number 12",
        "Memory: 16318460K/16777216K available (14339K kernel code)",
        "ISO 8601: 2026-12-07T22:10:03+01:00",
        "RFC 2822: Mon, 07 Dec 2026 22:10:03 +0000",
        "Date range 20261201-20261231",
        "Lat/long 48.858370, 2.294481",
        "Bank holiday 25.12.2026 and 26.12.2026",
        "Tally: 12 14 11 19 22 8",
        "Fibonacci 1 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987",
        "Primes below 50: 2 3 5 7 11 13 17 19 23 29 31 37 41 43 47",
        "Score table 10-7, 21-14, 28-24",
        "Invoice total 1.234.567,89 EUR",
        "Revenue 2.345.678.901 JPY",
        "Amount: 12 345 678 FCFA",
        "Budget: ₹12,34,56,789",
        "Distance 384 400 km",
        "Article 17(3)(b) of Regulation 2016/679",
        "Directive 2002/58/EC, art. 5(3)",
        "CVE-2024-3094 and CVE-2021-44228",
        "RFC 3966 and RFC 5322 define tel: and mail syntax",
        "ISO 3166-1 alpha-2 and ISO 4217",
        "ECMA-262 edition 15",
        "ICD-10 J45.909",
        "HS code 8471.30.01",
        "NAICS 541511",
        "Model number WH-1000XM5, firmware 2.0.1",
        "GTIN 00012345678905",
        "ASIN B0CHX1W1XY",
        "Stock keeping unit SKU-88213-BLK-XL",
        "Flight path via waypoints 4530N 07340W",
        "Bitrate 320000 bps, sample rate 44100 Hz",
        "Frame 000123 of 086400",
        "Coordinates (1280, 720) → (1920, 1080)",
        "Seed 20261207 used for run 7",
        "Epoch 17 loss 0.0421 acc 0.9876",
        "Throughput 123456 req/s at 64 connections",
        "Item 4 of 12: 3 × 250 g",
        "Chapter 11, 12 and 13 of the 2019 edition",
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10",
        "Test vector 00112233445566778899aabbccddeeff is from the AES spec",
        "Temperature log: 21.5 21.7 21.9 22.1 22.0",
        "Quarter results Q3 2026: 14.2% YoY",
        "Tel Aviv–Jaffa has 467,875 inhabitants",
        "Call of Duty 4 was released in 2007",
        "Apollo 11 landed on 20 July 1969 at 20:17:40 UTC",
        "Route 66 is 2,448 miles long",
        "WCAG 2.2 level AA, section 1.4.3",
        "Exit 42B toward I-95 N",
        "Grid reference TQ 30080 80987",
        "Matrikelnummer wird nicht benötigt, nur Kurs 101-204",
        "Kapitel 3.2.1, Seite 117–132",
        "Rezeptur: 250 g Mehl, 125 ml Milch, 2 Eier",
        "El partido terminó 3-2 en el minuto 94",
        "Le TGV 6201 part à 07h34 du quai 11",
        "Il volo AZ 1234 arriva alle 14:35",
        "Поезд 016А отправляется в 23:55 с пути 4",
        "第3四半期の売上は前年比12.5%増",
        "2026年12月7日 22時10分",
        "١٢ ديسمبر ٢٠٢٦",
        "۱۴۰۵/۰۹/۱۶",
        "เวลา ๒๒:๑๐ น.",
        "२०२६ की जनगणना",
        "１２月７日（月）１０：００〜１２：００",
    ]
    return out


# --------------------------------------------------------------- secrets

def rs(n, alphabet=string.ascii_letters + string.digits):
    return "".join(R.choice(alphabet) for _ in range(n))


HEX = "0123456789abcdef"
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"


def password():
    words = ["Sunset", "Tiger", "Maple", "Orbit", "Falcon", "Delta", "River", "Cobalt", "Nimbus", "Quartz"]
    return R.choice([
        lambda: R.choice(words) + str(R.randint(10, 9999)) + R.choice("!@#$&*?"),
        lambda: rs(R.randint(14, 24), string.ascii_letters + string.digits + "!#^*-_=+"),
        lambda: "-".join(R.choice(["correct", "horse", "battery", "staple", "violet", "anchor", "piano", "glacier"]) for _ in range(4)),
        lambda: rs(R.randint(16, 32)),
    ])()


def pem_body():
    return "MII" + rs(R.randint(60, 120), B64)


def jwt():
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).decode().rstrip("=")
    payload = base64.urlsafe_b64encode(json.dumps({"sub": str(R.randint(1000, 99999)), "iat": R.randint(1700000000, 1800000000), "scope": "admin"}).encode()).decode().rstrip("=")
    return header + "." + payload + "." + rs(43, B64URL)


SECRET_KINDS = {
    "aws_access_key_id": lambda: "AKIA" + rs(16, string.ascii_uppercase + "234567"),
    "aws_secret_access_key": lambda: rs(40, string.ascii_letters + string.digits + "/+"),
    "github_pat": lambda: "ghp_" + rs(36),
    "github_fine_grained": lambda: "github_pat_11" + rs(20, string.ascii_uppercase + string.digits) + "_" + rs(59),
    "github_oauth": lambda: "gho_" + rs(36),
    "gitlab_pat": lambda: "glpat-" + rs(20, B64URL),
    "slack_bot_token": lambda: "xoxb-%d-%d-%s" % (R.randint(10**11, 10**12 - 1), R.randint(10**12, 10**13 - 1), rs(24)),
    "slack_webhook": lambda: "https://hooks.slack.com/services/T%s/B%s/%s" % (rs(8, string.ascii_uppercase + string.digits), rs(10, string.ascii_uppercase + string.digits), rs(24)),
    "stripe_secret": lambda: "sk_live_" + rs(99),
    "stripe_restricted": lambda: "rk_live_" + rs(99),
    "twilio_auth_token": lambda: rs(32, HEX),
    "twilio_api_key_secret": lambda: rs(32),
    "meta_access_token": lambda: "EAA" + rs(R.randint(180, 220)),
    "whatsapp_app_secret": lambda: rs(32, HEX),
    "openai_key": lambda: "sk-proj-" + rs(48, B64URL) + "T3BlbkFJ" + rs(48, B64URL),
    "anthropic_key": lambda: "sk-ant-api03-" + rs(93, B64URL) + "AA",
    "google_api_key": lambda: "AIza" + rs(35, B64URL),
    "gemini_key": lambda: "AIza" + rs(35, B64URL),
    "sendgrid_key": lambda: "SG." + rs(22, B64URL) + "." + rs(43, B64URL),
    "mailgun_key": lambda: "key-" + rs(32, HEX),
    "npm_token": lambda: "npm_" + rs(36),
    "pypi_token": lambda: "pypi-AgEIcHlwaS5vcmc" + rs(R.randint(120, 160), B64URL),
    "docker_pat": lambda: "dckr_pat_" + rs(27, B64URL),
    "huggingface_token": lambda: "hf_" + rs(34),
    "telegram_bot_token": lambda: "%d:AA%s" % (R.randint(10**9, 10**10 - 1), rs(33, B64URL)),
    "discord_bot_token": lambda: rs(24, string.ascii_letters + string.digits) + "." + rs(6, B64URL) + "." + rs(38, B64URL),
    "shopify_token": lambda: "shpat_" + rs(32, HEX),
    "square_token": lambda: "EAAAE" + rs(59, B64URL),
    "digitalocean_token": lambda: "dop_v1_" + rs(64, HEX),
    "vault_token": lambda: "hvs." + rs(24) ,
    "age_secret_key": lambda: "AGE-SECRET-KEY-1" + rs(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"),
    "atlassian_token": lambda: "ATATT3xFfGF0" + rs(180, B64URL) + "=" + rs(8, string.ascii_uppercase + string.digits),
    "linear_key": lambda: "lin_api_" + rs(40),
    "notion_token": lambda: "ntn_" + rs(46),
    "datadog_api_key": lambda: rs(32, HEX),
    "azure_storage_key": lambda: rs(86, B64) + "==",
    "jwt": jwt,
    "private_key": pem_body,
    "password": password,
    "db_password": password,
    "basic_auth": lambda: base64.b64encode(("deploy:" + password()).encode()).decode(),
    "kube_secret_b64": lambda: base64.b64encode(password().encode()).decode(),
    "bearer_token": lambda: rs(R.randint(32, 64), B64URL),
    "session_cookie": lambda: rs(R.randint(40, 64), B64URL),
    "webhook_secret": lambda: "whsec_" + rs(32),
    "ssh_password": password,
}


SELF_EVIDENT = {
    "aws_access_key_id", "github_pat", "github_fine_grained", "github_oauth", "gitlab_pat",
    "slack_bot_token", "slack_webhook", "stripe_secret", "stripe_restricted", "meta_access_token",
    "openai_key", "anthropic_key", "google_api_key", "gemini_key", "sendgrid_key", "npm_token",
    "pypi_token", "docker_pat", "huggingface_token", "telegram_bot_token", "shopify_token",
    "digitalocean_token", "vault_token", "age_secret_key", "atlassian_token", "linear_key",
    "notion_token", "jwt", "webhook_secret",
}


def gen_secrets():
    out = []

    def add(cat, secret, line):
        assert secret in line, (cat, line)
        if cat == "slack_webhook":
            # The team and channel ids of a webhook URL are not secret; its last part is.
            secret = secret.rsplit("/", 1)[1]
        assert "\t" not in line and "\n" not in line
        out.append((cat, secret, line))

    host = lambda: R.choice(["db.internal", "10.0.3.14", "pg-prod.cluster-c9x.eu-west-1.rds.amazonaws.com", "mysql.example.net", "localhost", "redis-master.cache.svc"])

    # Env files, YAML, JSON, TOML.
    envnames = {
        "aws_access_key_id": ["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": ["AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"],
        "github_pat": ["GITHUB_TOKEN", "GH_TOKEN"],
        "github_fine_grained": ["GITHUB_TOKEN"],
        "github_oauth": ["GH_OAUTH"],
        "gitlab_pat": ["GITLAB_TOKEN", "CI_JOB_TOKEN_OVERRIDE"],
        "slack_bot_token": ["SLACK_BOT_TOKEN"],
        "slack_webhook": ["SLACK_WEBHOOK_URL"],
        "stripe_secret": ["STRIPE_SECRET_KEY", "STRIPE_API_KEY"],
        "stripe_restricted": ["STRIPE_RESTRICTED_KEY"],
        "twilio_auth_token": ["TWILIO_AUTH_TOKEN", "WARDEN_TWILIO_AUTH_TOKEN"],
        "twilio_api_key_secret": ["TWILIO_API_SECRET"],
        "meta_access_token": ["WHATSAPP_TOKEN", "META_ACCESS_TOKEN", "WARDEN_META_ACCESS_TOKEN"],
        "whatsapp_app_secret": ["WHATSAPP_APP_SECRET", "META_APP_SECRET"],
        "openai_key": ["OPENAI_API_KEY"],
        "anthropic_key": ["ANTHROPIC_API_KEY"],
        "google_api_key": ["GOOGLE_MAPS_API_KEY", "FIREBASE_API_KEY"],
        "gemini_key": ["GEMINI_API_KEY", "WARDEN_GEMINI_API_KEY"],
        "sendgrid_key": ["SENDGRID_API_KEY"],
        "mailgun_key": ["MAILGUN_API_KEY"],
        "npm_token": ["NPM_TOKEN", "NODE_AUTH_TOKEN"],
        "pypi_token": ["TWINE_PASSWORD", "PYPI_API_TOKEN"],
        "docker_pat": ["DOCKERHUB_TOKEN"],
        "huggingface_token": ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"],
        "telegram_bot_token": ["TELEGRAM_BOT_TOKEN"],
        "discord_bot_token": ["DISCORD_TOKEN"],
        "shopify_token": ["SHOPIFY_ACCESS_TOKEN"],
        "square_token": ["SQUARE_ACCESS_TOKEN"],
        "digitalocean_token": ["DIGITALOCEAN_TOKEN"],
        "vault_token": ["VAULT_TOKEN"],
        "age_secret_key": ["SOPS_AGE_KEY"],
        "atlassian_token": ["JIRA_API_TOKEN"],
        "linear_key": ["LINEAR_API_KEY"],
        "notion_token": ["NOTION_TOKEN"],
        "datadog_api_key": ["DD_API_KEY", "DATADOG_API_KEY"],
        "azure_storage_key": ["AZURE_STORAGE_KEY"],
        "jwt": ["SESSION_JWT", "AUTH_TOKEN"],
        "password": ["ADMIN_PASSWORD", "SMTP_PASSWORD"],
        "db_password": ["POSTGRES_PASSWORD", "MYSQL_ROOT_PASSWORD", "DB_PASS"],
        "bearer_token": ["API_TOKEN", "ACCESS_TOKEN"],
        "session_cookie": ["SESSION_SECRET"],
        "webhook_secret": ["STRIPE_WEBHOOK_SECRET"],
        "ssh_password": ["SSHPASS"],
    }
    for cat, names in envnames.items():
        # one env line, one YAML line, one JSON line, one TOML line, one bare chat line
        name = R.choice(names)
        s = SECRET_KINDS[cat]()
        add(cat, s, R.choice(["%s=%s", "export %s=%s", "%s=\"%s\"", "%s='%s'"]) % (name, s))
        s = SECRET_KINDS[cat]()
        add(cat, s, R.choice(["  %s: %s", "      %s: \"%s\"", "- %s=%s"]) % (name.lower(), s))
        s = SECRET_KINDS[cat]()
        add(cat, s, R.choice(['{"%s": "%s"}', '  "%s": "%s",']) % (name.lower(), s))
        s = SECRET_KINDS[cat]()
        add(cat, s, R.choice(['%s = "%s"', "%s = '%s'"]) % (name.lower(), s))
        s = SECRET_KINDS[cat]()
        chat = ["here's the key you asked for: %s", "use %s for now, I'll rotate it tomorrow",
                "prod key → %s (don't share)", "token %s"]
        if cat in SELF_EVIDENT:
            chat.append("%s")  # only a provider-shaped token is a secret with no words around it
        add(cat, s, R.choice(chat) % s)

    # Curl commands and HTTP headers.
    for _ in range(10):
        s = SECRET_KINDS["bearer_token"]()
        add("bearer_token", s, "curl -H 'Authorization: Bearer %s' https://api.example.com/v1/items" % s)
    for cat in ["github_pat", "openai_key", "anthropic_key", "meta_access_token", "stripe_secret", "huggingface_token", "digitalocean_token", "jwt"]:
        s = SECRET_KINDS[cat]()
        add(cat, s, R.choice(["Authorization: Bearer %s", "authorization: bearer %s", "curl -sS -H \"Authorization: Bearer %s\" https://api.host/v2/me", "-H 'Authorization: token %s'"]) % s)
    for _ in range(6):
        s = SECRET_KINDS["anthropic_key"]()
        add("anthropic_key", s, "curl https://api.example.com/v1/messages -H \"x-api-key: %s\" -d @req.json" % s)
    for _ in range(6):
        s = SECRET_KINDS["twilio_auth_token"]()
        add("twilio_auth_token", s, "curl -X POST https://api.twilio.com/2010-04-01/Accounts/AC%s/Messages.json -u AC%s:%s" % (rs(32, HEX), rs(32, HEX), s))
    for _ in range(6):
        u = "svc-" + rs(5, string.ascii_lowercase)
        p = password()
        add("basic_auth_password", p, "curl -u %s:%s https://registry.example.com/v2/_catalog" % (u, p))
    for _ in range(6):
        s = SECRET_KINDS["basic_auth"]()
        add("basic_auth", s, "Authorization: Basic %s" % s)
    for _ in range(5):
        s = SECRET_KINDS["google_api_key"]()
        add("google_api_key", s, "GET https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=%s" % s)
    for _ in range(5):
        s = SECRET_KINDS["session_cookie"]()
        add("session_cookie", s, "Cookie: _session_id=%s; theme=dark" % s)
    for _ in range(5):
        s = SECRET_KINDS["bearer_token"]()
        add("bearer_token", s, "X-Api-Key: %s" % s)

    # Connection strings.
    for scheme, cat in [("postgres", "db_password"), ("postgresql", "db_password"), ("mysql", "db_password"),
                        ("redis", "db_password"), ("rediss", "db_password"), ("amqp", "db_password"),
                        ("amqps", "db_password"), ("mongodb", "db_password"), ("mongodb+srv", "db_password"),
                        ("sqlserver", "db_password")]:
        for _ in range(3):
            p = password().replace("@", "9").replace("/", "7").replace(":", "3").replace("#", "5").replace("?", "1")
            user = R.choice(["app", "warden", "admin", "rabbit", "root", ""])
            if scheme.startswith("redis") and R.random() < 0.5:
                user = ""
            line = R.choice([
                "DATABASE_URL=%s://%s:%s@%s/%s" % (scheme, user, p, host(), R.choice(["app", "warden", "0", "vhost"])),
                "url: \"%s://%s:%s@%s:%d\"" % (scheme, user, p, host(), R.randint(1000, 65000)),
                "connecting to %s://%s:%s@%s ... ok" % (scheme, user, p, host()),
            ])
            add(cat, p, line)
    for _ in range(4):
        p = password().replace(";", "x")
        add("db_password", p, "Server=tcp:sql-prod.database.windows.net,1433;Database=app;User ID=app;Password=%s;Encrypt=true" % p)
    for _ in range(3):
        p = password().replace(" ", "x")
        add("db_password", p, "host=%s port=5432 dbname=app user=app password=%s sslmode=require" % (host(), p))
    for _ in range(4):
        s = SECRET_KINDS["azure_storage_key"]()
        add("azure_storage_key", s, "DefaultEndpointsProtocol=https;AccountName=wardenlogs;AccountKey=%s;EndpointSuffix=core.windows.net" % s)

    # Chat in several languages.
    chat = [
        "the wifi password is %s",
        "le mot de passe du wifi c'est %s",
        "la contraseña del servidor es %s",
        "das Passwort für den Admin lautet %s",
        "пароль от почты: %s",
        "密码是 %s",
        "パスワードは %s です",
        "a senha é %s",
        "şifre: %s",
        "hasło do konta to %s",
        "het wachtwoord is %s",
        "كلمة المرور هي %s",
        "la password è %s",
        "पासवर्ड %s है",
        "mật khẩu là %s",
        "kata sandinya %s",
        "lösenordet är %s",
        "heslo je %s",
    ]
    for tpl in chat:
        for _ in range(2):
            p = password()
            add("password", p, tpl % p)

    # CI logs.
    for cat in ["github_pat", "npm_token", "pypi_token", "docker_pat", "aws_secret_access_key", "gitlab_pat", "slack_webhook", "stripe_secret", "meta_access_token", "twilio_auth_token"]:
        s = SECRET_KINDS[cat]()
        add(cat, s, R.choice([
            "##[debug]Evaluating: secrets.TOKEN => %s",
            "2026-12-07T22:10:03.1234567Z + echo %s",
            "[build] step 4/9: RUN --mount=type=secret TOKEN=%s make publish",
            "$ ./deploy.sh --token %s",
            "Error: invalid credentials for key %s",
            "DEBUG http: GET /api?access_token=%s 401",
        ]) % s)

    # Kube secrets in base64.
    for key in ["password", "db-password", "api-key", "token", "client-secret", "redis-password"]:
        for _ in range(2):
            s = base64.b64encode((password() if "pass" in key else rs(32)).encode()).decode()
            add("kube_secret_b64", s, "  %s: %s" % (key, s))
    for _ in range(3):
        s = base64.b64encode(("postgres://app:" + password() + "@db:5432/app").encode()).decode()
        add("kube_secret_b64", s, "data: {DATABASE_URL: %s}" % s)

    # .npmrc, .pypirc, docker.
    for _ in range(5):
        s = SECRET_KINDS["npm_token"]()
        add("npm_token", s, R.choice(["//registry.npmjs.org/:_authToken=%s", "//npm.pkg.github.com/:_authToken=%s"]) % s)
    for _ in range(3):
        s = base64.b64encode(("ci:" + password()).encode()).decode()
        add("npm_auth", s, "_auth=%s" % s)
    for _ in range(5):
        s = SECRET_KINDS["pypi_token"]()
        add("pypi_token", s, "password = %s" % s)
    for _ in range(3):
        p = password()
        add("password", p, "password: %s" % p)
    for _ in range(5):
        p = password()
        add("docker_password", p, "docker login -u deploybot -p %s registry.example.com" % p)
    for _ in range(4):
        s = SECRET_KINDS["docker_pat"]()
        add("docker_pat", s, "echo %s | docker login -u ci --password-stdin" % s)
    for _ in range(5):
        s = base64.b64encode(("deploybot:" + password()).encode()).decode()
        add("docker_auth", s, '{"auths":{"ghcr.io":{"auth":"%s"}}}' % s)

    # Private keys (one line, JSON-escaped newlines or a key body alone).
    for kind in ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]:
        for _ in range(3):
            body = pem_body() if kind != "OPENSSH PRIVATE KEY" else "b3BlbnNzaC1rZXktdjEAAAAA" + rs(80, B64)
            add("private_key", body, R.choice([
                '"private_key": "-----BEGIN %s-----\\n%s\\n-----END %s-----\\n"',
                "-----BEGIN %s----- %s -----END %s-----",
                "key: |-\\n  -----BEGIN %s-----\\n  %s\\n  -----END %s-----",
            ]) % (kind, body, kind))
    for _ in range(3):
        s = SECRET_KINDS["age_secret_key"]()
        add("age_secret_key", s, "# created: 2026-12-07T22:10:03Z %s" % s)

    # Misc contexts.
    for _ in range(5):
        s = SECRET_KINDS["telegram_bot_token"]()
        add("telegram_bot_token", s, "https://api.telegram.org/bot%s/sendMessage?chat_id=12345" % s)
    for _ in range(4):
        s = SECRET_KINDS["slack_webhook"]()
        add("slack_webhook", s, "requests.post(\"%s\", json=payload)" % s)
    for _ in range(4):
        s = SECRET_KINDS["github_pat"]()
        add("github_pat", s, "git clone https://x-access-token:%s@github.com/acme/infra.git" % s)
    for _ in range(4):
        s = SECRET_KINDS["aws_secret_access_key"]()
        add("aws_secret_access_key", s, "[default] aws_access_key_id = AKIA%s aws_secret_access_key = %s" % (rs(16, string.ascii_uppercase + "234567"), s))
    for _ in range(4):
        s = SECRET_KINDS["openai_key"]()
        add("openai_key", s, "client = OpenAI(api_key=\"%s\")" % s)
    for _ in range(4):
        s = SECRET_KINDS["webhook_secret"]()
        add("webhook_secret", s, "stripe listen → Ready! Your webhook signing secret is %s" % s)
    for _ in range(4):
        s = SECRET_KINDS["meta_access_token"]()
        add("meta_access_token", s, "GET https://graph.facebook.com/v21.0/me?access_token=%s" % s)
    return out


# ---------------------------------------------------------------- hardneg

def gen_hardneg():
    out = []

    def add(cat, line):
        assert "\t" not in line and "\n" not in line
        out.append((cat, line))

    h = lambda n: rs(n, HEX)
    for _ in range(12):
        add("twilio_sid", R.choice(["MessageSid=SM%s", "AccountSid: AC%s", "MessagingServiceSid=MG%s", "\"sid\": \"SM%s\"", "CallSid=CA%s", "Conversation CH%s closed"]) % h(32))
    for _ in range(8):
        add("meta_message_id", R.choice(['"id": "wamid.%s"', "status update for wamid.%s: read"]) % (rs(40, B64URL) + "=="))
    for _ in range(15):
        add("commit_id", R.choice(["commit %s", "Merge %s into main", "fixup! %s", "git checkout %s", "Reverts %s", "HEAD is now at %s fix typo", "%s refs/heads/main"]) % h(40))
    for _ in range(8):
        add("short_sha", R.choice(["%s Bump serde to 1.0.215", "deployed %s to prod", "bisect: first bad commit is %s"]) % h(R.choice([7, 8, 12])))
    for _ in range(15):
        add("digest", R.choice(["sha256:%s", "SHA256 (warden-1.4.2.tar.gz) = %s", "%s  warden-x86_64-linux.tar.xz", "checksum = \"%s\"", "blake3: %s"]) % h(64))
    for _ in range(10):
        add("image_digest", R.choice(["image: ghcr.io/acme/warden@sha256:%s", "FROM rust:1.83-slim@sha256:%s", "Digest: sha256:%s", "docker pull nginx@sha256:%s"]) % h(64))
    for _ in range(12):
        add("lockfile_integrity", R.choice(['"integrity": "sha512-%s=="', "integrity sha512-%s==", "  resolution: {integrity: sha512-%s==}"]) % rs(86, B64))
    for _ in range(6):
        add("lockfile_integrity", "checksum = \"%s\"" % h(64))
    for _ in range(6):
        add("go_sum", "github.com/acme/%s v1.%d.%d h1:%s=" % (R.choice(["lib", "kit", "proto"]), R.randint(0, 9), R.randint(0, 30), rs(43, B64)))
    for _ in range(15):
        add("uuid", R.choice(["request_id=%s", "\"id\": \"%s\"", "Correlation-ID: %s", "tenant %s", "/api/v1/orders/%s", "uuid: %s"]) % uuid.UUID(int=R.getrandbits(128), version=4))
    for _ in range(10):
        # Each header with the shape its service sends.
        add("request_id", R.choice([
            "X-Request-Id: req_%s" % rs(14),
            "x-amzn-RequestId: %s" % uuid.UUID(int=R.getrandbits(128), version=4),
            "cf-ray: %s-FRA" % h(16),
            "X-GitHub-Request-Id: %s:%s:%s:%s" % (h(4).upper(), h(6).upper(), h(7).upper(), h(8).upper()),
            "request-id: req_%s" % rs(24),
        ]))
    for _ in range(12):
        add("trace_id", R.choice(["traceparent: 00-%s-%s-01" % (h(32), h(16)), "trace_id=%s span_id=%s" % (h(32), h(16)), "X-Cloud-Trace-Context: %s/%d;o=1" % (h(32), R.randint(10**15, 10**18)), "X-Amzn-Trace-Id: Root=1-%s-%s" % (h(8), h(24)), "uber-trace-id: %s:%s:0:1" % (h(16), h(16))]))
    for _ in range(10):
        add("ssh_public_key", R.choice(["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%s deploy@ci" % rs(43, B64), "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ%s alice@laptop" % rs(200, B64), "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBB%s= host" % rs(86, B64)]))
    for _ in range(8):
        add("public_key_pem", R.choice(["-----BEGIN PUBLIC KEY----- MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA%s -----END PUBLIC KEY-----", "-----BEGIN CERTIFICATE----- MIIDdzCCAl+gAwIBAgIE%s -----END CERTIFICATE-----", "\"x5c\": [\"MIIC+DCCAeCgAwIBAgIJ%s\"]"]) % rs(120, B64))
    for _ in range(6):
        add("gpg_fingerprint", R.choice(["Key fingerprint = %s", "gpg --recv-keys %s", "pub   ed25519 2026-01-01 [SC] %s"]) % " ".join(h(4).upper() for _ in range(10)).replace(" ", R.choice([" ", ""])))
    for _ in range(6):
        add("tls_fingerprint", "SHA256 Fingerprint=%s" % ":".join(h(2).upper() for _ in range(32)))
    placeholders = [
        "OPENAI_API_KEY=your-api-key-here", "export GITHUB_TOKEN=<your token>", "STRIPE_SECRET_KEY=sk_live_...", "password: ********",
        "AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}", "token: ${{ secrets.GITHUB_TOKEN }}", "api_key: \"{{ .Values.apiKey }}\"",
        "DB_PASSWORD=changeme", "password=<redacted>", "Authorization: Bearer <token>", "Authorization: Bearer $TOKEN",
        "TWILIO_AUTH_TOKEN=[REDACTED]", "secret_key_base: <%= ENV['SECRET_KEY_BASE'] %>", "\"apiKey\": null", "api_key = \"\"",
        "GEMINI_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WHATSAPP_TOKEN=REPLACE_ME", "password: !vault |", "token: !!binary",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Set GITHUB_TOKEN to a personal access token (it starts with ghp_).", "Paste your key (sk-...) in Settings → API.",
        "password_hash_algorithm = \"argon2id\"", "PASSWORD_MIN_LENGTH=12", "token_ttl: 3600", "secret: false", "passwordless: true",
        "redis://localhost:6379/0", "postgres://localhost:5432/app", "mongodb://mongo:27017/app", "amqp://rabbitmq:5672/%2f",
        "DATABASE_URL=postgres://app@db:5432/app", "mysql://root@127.0.0.1:3306/test", "postgres://app:${DB_PASSWORD}@db/app",
        "TOKEN=$(vault kv get -field=token secret/ci)", "key: {{ secret \"api-key\" }}", "GOOGLE_APPLICATION_CREDENTIALS=/var/run/secrets/gcp/key.json",
        "--password-stdin < ~/.docker/pass", "api_key_file: /etc/warden/api_key", "WARDEN_TWILIO_AUTH_TOKEN_FILE=/run/secrets/twilio",
        "-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----", "Bearer token missing", "Invalid API key provided: sk_live_****************abcd",
        "token=REDACTED", "secret=<hidden>", "password=•••••••", "client_secret: \"<CLIENT_SECRET>\"", "API_KEY=YOUR_API_KEY_HERE",
    ]
    for p in placeholders:
        add("placeholder", p)
    for _ in range(10):
        add("base64_image", R.choice(['<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA%s">', "background: url(data:image/gif;base64,R0lGODlhAQABAIAAA%s);", '"avatar": "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ%s"', "data:font/woff2;base64,d09GMgABAAAAA%s"]) % rs(R.randint(80, 200), B64))
    for _ in range(8):
        add("ulid_ksuid", R.choice(["event_id=%s" % rs(26, "0123456789ABCDEFGHJKMNPQRSTVWXYZ"), "ksuid %s" % rs(27), "ObjectId(\"%s\")" % h(24), "snowflake id %d" % R.randint(10**17, 10**19 - 1), "nanoid: %s" % rs(21, B64URL)]))
    for _ in range(8):
        add("container_id", R.choice(["docker logs %s", "containerID: containerd://%s", "cgroup /kubepods/burstable/pod%s" ]) % (h(64) if R.random() < 0.7 else h(12)))
    for _ in range(8):
        add("k8s_name", R.choice(["pod/warden-7c9d6b8f4d-x2k9q", "replicaset.apps/api-5f7b9c6d8b", "job/migrate-29012345", "pod/sms-gw-%s-%s" % (h(10), rs(5, string.ascii_lowercase + string.digits)), "uid: %s" % uuid.UUID(int=R.getrandbits(128), version=4), "resourceVersion: \"%d\"" % R.randint(10**6, 10**9), "kube-root-ca.crt", "default-token-%s" % rs(5, string.ascii_lowercase + string.digits)]))
    for _ in range(8):
        add("public_id", R.choice(["pk_live_%s" % rs(99), "client_id=%d-%s.apps.googleusercontent.com" % (R.randint(10**11, 10**12), rs(32, string.ascii_lowercase + string.digits)), "app_id: %d" % R.randint(10**14, 10**16), "WABA id %d" % R.randint(10**14, 10**16), "phone_number_id: %d" % R.randint(10**14, 10**16), "NEXT_PUBLIC_POSTHOG_KEY=phc_%s" % rs(43)]))
    for _ in range(8):
        add("crypto_address", R.choice(["0x%s" % h(40), "bc1q%s" % rs(38, "023456789acdefghjklmnpqrstuvwxyz"), "tx 0x%s confirmed" % h(64)]))
    for _ in range(8):
        add("etag", R.choice(['ETag: "%s"' % h(32), 'ETag: W/"%s"' % rs(27, B64URL), 'If-None-Match: "%s-gzip"' % h(40), "x-amz-version-id: %s" % rs(32, B64URL)]))
    for _ in range(8):
        add("hash_in_path", R.choice(["/nix/store/%s-openssl-3.3.2" % rs(32, "0123456789abcdfghijklmnpqrsvwxyz"), "/assets/app-%s.js" % h(20), "target/release/deps/libserde-%s.rlib" % h(16), "~/.cache/huggingface/hub/models--org--m/snapshots/%s/config.json" % h(40), "oid sha256:%s" % h(64), "ipfs://bafybei%s" % rs(52, "abcdefghijklmnopqrstuvwxyz234567")]))
    for _ in range(8):
        add("csp_sri", R.choice(['<script src="/app.js" integrity="sha384-%s" crossorigin></script>' % rs(64, B64), "Content-Security-Policy: script-src 'nonce-%s'" % rs(22, B64), "script-src 'sha256-%s='" % rs(43, B64)]))
    for _ in range(8):
        add("hmac_signature", R.choice(["X-Twilio-Signature: %s=" % rs(27, B64), "X-Hub-Signature-256: sha256=%s" % h(64), "Stripe-Signature: t=%d,v1=%s" % (R.randint(1700000000, 1800000000), h(64))]))
    for _ in range(8):
        add("aws_arn", R.choice(["arn:aws:iam::%012d:role/deploy" % R.randint(10**10, 10**12 - 1), "arn:aws:kms:eu-west-1:%012d:key/%s" % (R.randint(10**10, 10**12 - 1), uuid.UUID(int=R.getrandbits(128), version=4)), "arn:aws:s3:::acme-logs-%012d" % R.randint(10**10, 10**12 - 1), "AWS account %012d" % R.randint(10**10, 10**12 - 1)]))
    for _ in range(8):
        add("hex_color_css", R.choice(["color: #%s; background: #%s;" % (h(6), h(6)), "--brand-%d: #%s;" % (R.randint(1, 900), h(6)), "fill=\"#%s\"" % h(6)]))
    for _ in range(6):
        add("version_string", R.choice(["rustc 1.83.0 (90b35a623 2024-11-26)", "v%d.%d.%d-rc.%d+build.%s" % (R.randint(0, 9), R.randint(0, 40), R.randint(0, 20), R.randint(1, 9), h(7)), "Go go1.23.4 linux/amd64", "openssl 3.3.2 3 Sep 2024"]))
    for _ in range(6):
        add("git_lfs_pointer", "version https://git-lfs.github.com/spec/v1 oid sha256:%s size %d" % (h(64), R.randint(1000, 10**9)))
    for _ in range(8):
        add("md5_sha1", R.choice(["MD5 (setup.exe) = %s" % h(32), "sha1sum: %s  README.md" % h(40), "md5=%s" % h(32), "\"etag\": \"%s\"" % h(32)]))
    for _ in range(6):
        add("url_with_id", R.choice(["https://www.youtube.com/watch?v=%s" % rs(11, B64URL), "https://docs.google.com/document/d/%s/edit" % rs(44, B64URL), "https://github.com/acme/app/actions/runs/%d" % R.randint(10**9, 10**11), "https://example.atlassian.net/browse/OPS-%d" % R.randint(1, 9999)]))
    for _ in range(6):
        add("prose_about_secrets", R.choice([
            "Rotate the Twilio auth token every 90 days and store it in the vault.",
            "Never paste your password into chat; use the password manager's share link.",
            "The API key goes into the WARDEN_GEMINI_API_KEY variable, not the config file.",
            "Das Passwort muss mindestens 12 Zeichen lang sein.",
            "La clave secreta se genera en el panel de desarrolladores.",
            "Le jeton d'accès expire après 24 heures.",
            "Token-based auth replaced passwords in release 4.2.",
            "pwd is /home/ci/work",
        ]))
    return out


DIGIT_BASES = [0x30, 0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50]
WINDOW = 6  # the scorer's leak window: keep in step with tests/fresh_corpus.rs


def ascii_digits(s):
    out = []
    for c in s:
        o = ord(c)
        for b in DIGIT_BASES:
            if b <= o <= b + 9:
                c = chr(0x30 + o - b)
        out.append(c)
    return "".join(out)


def squeeze(s):
    """The scorer's view of a line: ASCII digits and letters only."""
    return "".join(c for c in ascii_digits(s) if c.isascii() and c.isalnum())


def windows(digits):
    return {digits[k:k + WINDOW] for k in range(len(digits) - WINDOW + 1)}


def phone_line_is_unambiguous(line):
    """No digits outside a number share a leak window with it, so a leak can only be the number."""
    spans = re.findall(r"\[\[(.*?)\]\]", line)
    for k, span in enumerate(spans):
        rest = line
        for j, other in enumerate(spans):
            rest = rest.replace("[[" + other + "]]", "x" if j == k else "x" + other + "x", 1)
        digits = "".join(c for c in ascii_digits(span) if c.isdigit())
        if len(digits) < WINDOW + 1 or any(w in squeeze(rest) for w in windows(digits)):
            return False
    return True


def main():
    gen_phones()
    phone_lines = []
    seen = set()
    dropped = 0
    for region, line in PHONE_LINES:
        assert "\t" not in line and "\n" not in line, line
        if line in seen:
            continue
        seen.add(line)
        if not phone_line_is_unambiguous(line):
            dropped += 1
            continue
        phone_lines.append("%s\t%s" % (region, line))
    print("dropped ambiguous phone lines:", dropped)
    clean = gen_clean()
    secrets = list(dict.fromkeys(gen_secrets()))
    hard = list(dict.fromkeys(gen_hardneg()))
    with open(os.path.join(HERE, "phones.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(phone_lines) + "\n")
    with open(os.path.join(HERE, "clean.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(clean) + "\n")
    with open(os.path.join(HERE, "secrets.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join("\t".join(t) for t in secrets) + "\n")
    with open(os.path.join(HERE, "hardneg.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join("\t".join(t) for t in hard) + "\n")
    print(len(phone_lines), len(clean), len(secrets), len(hard))


if __name__ == "__main__":
    main()
