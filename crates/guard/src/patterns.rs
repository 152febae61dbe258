//! The weighted pattern table and its one-time compilation.
//!
//! Patterns are written in a small template language over the normalised ASCII text:
//! a space stands for "any run of non-alphanumeric bytes, possibly empty" (so "ignore  all",
//! "ignore-all" and "ignoreall" read alike), `~` for one filler word, and `{NAME}` for a shared
//! vocabulary fragment. Write `\x20` for a literal space. Each pattern carries a category and a
//! weight in `0..1`; weights combine as independent evidence (noisy-or), so a weak framing plus a
//! weak object can cross the threshold while either alone does not.

use std::sync::LazyLock;

use regex::bytes::{RegexSet, RegexSetBuilder};

use crate::verdict::Reason;

/// A compiled pattern table.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) set: RegexSet,
    /// Per pattern: category, weight, and whether it reads the folded text only.
    pub(crate) meta: Vec<(Reason, f32, bool)>,
}

pub(crate) static COMPILED: LazyLock<Result<Compiled, regex::Error>> = LazyLock::new(compile);

const SEP: &str = "[^a-z0-9]*";
const WORD: &str = "(?:[a-z']+[^a-z0-9]+)";

/// Shared vocabularies: English, Spanish, French, German, Portuguese, Italian, Dutch, without
/// diacritics (the normaliser drops them).
const FRAGMENTS: &[(&str, &str)] = &[
    ("IGNORE", "ignore|ignroe|ingore|igonre|ignor|ignoring|disregard|disregarding|forget|forgetting|skip|bypass|discard|set aside|overlook|cancel|abandon|throw away|stop following|stop obeying|don'?t follow|do not follow|no longer follow|ignora|ignoren|ignorar|olvida|olvide|olviden|olvidate de|omite|descarta|no sigas|deja de seguir|haz caso omiso (?:de|a)|ignorez|oublie|oubliez|ne suis plus|ne suivez plus|ne tiens plus compte (?:de|des)|ne tenez plus compte (?:de|des)|fais abstraction (?:de|des)|ignoriere|ignorier|ignorieren sie|vergiss|vergessen sie|missachte|verwirf|befolge nicht|befolge nicht mehr|esqueca|esquece|esquecam|desconsidere|desconsidera|ignorem|nao siga|pare de seguir|ignori|dimentica|dimentichi|dimenticate|trascura|non seguire|smetti di seguire|negeer|vergeet|volg niet"),
    ("MOD", "all|any|of|the|your|ur|these|those|whatever|every|each|previous|previously|prior|above|earlier|preceding|original|initial|old|former|existing|system|safety|content|security|usual|current|default|developer|developers|hidden|built-in|todas|todos|toda|todo|las|los|tus|sus|su|tu|el|la|de|del|anteriores|previas|previos|iniciales|originales|toutes|tous|tes|vos|votre|ton|les|des|precedentes|anterieures|initiales|alle|allen|deine|deinen|dein|ihre|ihren|die|den|der|vorherigen|bisherigen|obigen|fruheren|vorigen|ursprunglichen|as|os|suas|seus|sua|tuas|teus|tutte|tutti|le|tue|tuoi|precedenti|iniziali|al|je|jouw|uw|vorige|eerdere|oorspronkelijke"),
    ("INSTR", "instructions?|instrucions|instrucitons|instuctions|intructions|insturctions|directions|directives?|rules|guidelines|guidance|prompts?|programming|constraints|restrictions|guardrails|polic(?:y|ies)|training|safeguards|filters|instrucciones|instruccion|reglas|normas|indicaciones|directrices|restricciones|consignes|regles|anweisungen|anweisung|regeln|instruktionen|vorgaben|richtlinien|befehle|einschrankungen|instrucoes|instrucao|regras|diretrizes|restricoes|istruzioni|regole|direttive|indicazioni|restrizioni|instructies|regels|richtlijnen|opdrachten|beperkingen"),
    ("FREE_NOUN", "restrictions?|rules?|filters?|limits?|limitations?|guidelines?|ethics|morals|censorship|content polic(?:y|ies)|boundaries|constraints?|safeguards?|guardrails?|restricciones|restriccion|reglas?|limites?|filtros?|censura|regles?|einschrankungen|einschrankung|regeln|grenzen|filter|beschrankungen|restricoes|restricao|regras?|restrizioni|restrizione|regole|regola|limiti|limite|filtri|filtro|beperkingen|beperking|regels"),
    ("FRAME", "pretend|pretending|act as|act like|acting as|behave like|behave as|roleplay|role play|play the role|play a role|imagine|simulate|hypothetically|respond as|answer as|reply as|speak as|stay in character|you are now|you're now|youre now|ur now|you will now be|finge|finja|finjas|actua como|aja como|age como|haz de cuenta|hazte pasar|juega el papel|fais comme si|fais semblant|faites comme si|joue le role|incarne|tu es maintenant|tu es desormais|vous etes maintenant|tu so als|tue so als|spiel|spiele die rolle|du bist jetzt|du bist nun|sei jetzt|agora voce|agora es|faz de conta|fai finta|comportati come|fingi di|ora sei|adesso sei|interpreta|doe alsof|speel de rol|je bent nu|gedraag je als"),
    ("MODE", "(?:developer|dev|god|debug|jailbreak|jailbroken|unrestricted|dan|evil|sudo) mode|mode developpeur|modo (?:de )?desarrollador|entwicklermodus|modo (?:de )?desenvolvedor|modalita sviluppatore|ontwikkelaarsmodus"),
    ("PVERB", "reveal|show|print|display|output|repeat|tell|give|share|leak|dump|expose|recite|quote|spill|write out|paste|summari[sz]e|translate|what is|what's|whats|what are|what were|what was|what does|read out|type out|copy|muestra|muestrame|mostra|revela|revelame|repite|dime|dame|imprime|escribe|cual es|cuales son|cuales fueron|montre|montre-moi|montrez|revele|revelez|repete|repetez|affiche|donne|donne-moi|dis-moi|quel est|quelles sont|quels sont|zeig|zeige|zeigen sie|verrate|wiederhole|gib|nenne|was ist|was sind|was waren|mostre|repita|diga|me diga|qual e|quais sao|quais foram|mostrami|rivela|ripeti|dimmi|dammi|quali sono|laat zien|laat me|toon|onthul|herhaal|wat is|wat zijn|geef|vertel"),
    ("YOUR", "your|ur|thy|tus|tu|su|sus|tes|ton|ta|vos|votre|deine|deinen|dein|deiner|ihre|ihren|suas|seu|sua|seus|teu|tua|tuas|tue|tuo|je|jouw|uw"),
    ("SECRET", "system prompt|system message|systemprompt|systeemprompt|prompt|pre-?prompt|initial prompt|instructions|instruction|rules|guidelines|directives|configuration|config|setup message|system instructions|programming|developer message|instrucciones|reglas|consignes|regles|anweisungen|regeln|instruktionen|vorgaben|instrucoes|regras|istruzioni|regole|instructies|regels"),
    ("SECRET_STRONG", "system prompt|system message|systemprompt|systeemprompt|developer message|developer instructions|hidden instructions|secret instructions|initial instructions|initial prompt|original instructions|setup message|system instructions|prompt (?:del|de|di|do) sistema|prompt systeme|instrucciones (?:del|de) sistema|instrucciones ocultas|instructions cachees|systemanweisungen|versteckten anweisungen|instrucoes do sistema|instrucoes ocultas|istruzioni di sistema|istruzioni nascoste|systeeminstructies|verborgen instructies"),
    ("SENDV", "send|message|text|forward|broadcast|blast|spam|notify|contact|email|e-mail|whatsapp|dm|ping|alert|sms|write to|envia|envie|enviar|reenvia|manda|mande|mandar|escribe a|avisa a|envoie|envoyez|transfere|transferez|ecris a|previens|sende|senden|schick|schicke|schreib|leite|benachrichtige|encaminhe|encaminha|avise|invia|inviate|inoltra|inoltrate|scrivi a|avvisa|stuur|verstuur"),
    ("ALLX", "all|every|each|everyone|everybody|the whole|whole|entire|toda tu|toda la|toute ta|toute la|die ganze|deine ganze|toda a|tutta la|de hele|je hele|todos|todas|todo el mundo|tous|toutes|tout le monde|alle|allen|jeden|jede|tutti|tutte|ogni|iedereen|al|elke"),
    ("AUD", "contacts?|users?|numbers?|phone numbers|customers?|clients?|people|persons?|members|subscribers|followers|address book|contact list|contactos|usuarios|clientes|numeros|personas|utilisateurs|personnes|abonnes|kontakte|kontakten|nutzer|nutzern|benutzer|benutzern|kunden|nummern|contatos|pessoas|contatti|utenti|clienti|numeri|persone|contacten|gebruikers|klanten|nummers|mensen"),
    ("DNOUN", "messages?|tasks?|data|numbers?|phone numbers?|contacts?|contact list|conversations?|chats?|history|info|information|details|list|lists|names|addresses|emails|reminders|mensajes|datos|numeros|tareas|conversaciones|telefonos|taches|donnees|nachrichten|daten|telefonnummern|aufgaben|nummern|mensagens|dados|tarefas|conversas|telefones|messaggi|dati|numeri|attivita|compiti|conversazioni|berichten|gegevens|nummers|taken|gesprekken"),
    ("OTHERS", "other|others|another|all other|all the other|all|every|each|otros|otras|los otros|las otras|todos los|todas las|demas|autres|des autres|tous les|toutes les|anderen|andere|anderer|aller|alle|outros|outras|dos outros|todos os|altri|degli altri|tutti gli|tutti i"),
    ("USERS", "users?|people|persons|nutzern|benutzern|usern|leuten|mitgliedern|customers?|clients?|members|conversations|accounts|usuarios|clientes|personas|miembros|utilisateurs|personnes|membres|nutzer|benutzer|kunden|leute|personen|mitglieder|pessoas|membros|utenti|clienti|persone|membri|gebruikers|klanten|mensen|leden"),
    ("BANKNOUN", "bank details|banking details|bank account|account details|account number|payment details|payment information|payment info|iban|bank info|bank information|wire instructions|payment instructions|remittance details|datos bancarios|cuenta bancaria|numero de cuenta|coordonnees bancaires|rib|compte bancaire|bankverbindung|bankdaten|kontonummer|kontodaten|bankkonto|dados bancarios|conta bancaria|numero da conta|coordinate bancarie|conto bancario|dati bancari|bankgegevens|rekeningnummer|bankrekening"),
    ("PAYVERB", "pay|send|transfer|wire|deposit|move|redirect|route|pague|paguen|paga|pagar|transfiere|transfieran|transferir|envia|envien|deposita|ingresa|ingresen|payez|payer|virez|virer|versez|verser|envoyez|transferez|zahlen|zahle|zahlt|uberweisen|uberweise|uberweist|sende|schicken|paguem|transfira|transfiram|deposite|pagate|pagare|trasferisci|trasferite|bonifica|versate|invia|betaal|betalen|stort|maak over"),
    ("NEWDET", "new|this|the following|following|a different|another|nueva|nuevo|esta|este|otra|nouveau|nouvelle|ce|cet|cette|autre|neue|neues|neuen|dieses|diese|anderes|nova|novo|outra|nuovo|nuova|questo|altro|nieuwe|deze"),
    ("ACCOUNT", "account|iban|paypal|wallet|address|revolut|venmo|bitcoin|btc|crypto|cuenta|compte|rib|konto|conta|conto|rekening"),
];

use Reason::{
    DataExfiltration as X, DelimiterBreakout as D, InstructionOverride as O, MassOutreach as M,
    PaymentRedirect as P, PromptExtraction as E, RolePlay as R,
};

/// (category, weight, template). Weights at or above the default threshold (0.5) decide alone.
/// A template starting with `=` reads the folded text only: codes and numbers, which
/// de-leeting would turn into words.
const PATTERNS: &[(Reason, f32, &str)] = &[
    // Instruction override.
    (O, 0.9, r"\b{IGNORE} (?:{MOD} ){0,5}{INSTR}\b"),
    (
        O,
        0.85,
        r"\b{IGNORE} (?:all |everything |anything )(?:~){0,2}(?:above|you (?:were|have been|ve been|was) (?:told|given|instructed)|they told you)\b",
    ),
    (
        O,
        0.8,
        r"\b(?:olvida todo lo (?:anterior|de arriba|que te dijeron)|oublie tout ce qu'on t'a dit|oublie tout ce qui precede|vergiss alles (?:bisherige|was man dir gesagt hat|oben)|esqueca tudo (?:o que te disseram|acima)|dimentica tutto (?:quello che ti hanno detto|sopra)|vergeet alles (?:wat je is verteld|hierboven))\b",
    ),
    (
        O,
        0.6,
        r"\bnew (?:instructions?|directives?|rules|orders|prompt|system prompt)\x20*:",
    ),
    (
        O,
        0.6,
        r"\b(?:nuevas instrucciones|nuevas reglas|nouvelles instructions|nouvelles consignes|nouvelles regles|neue anweisungen|neue regeln|novas instrucoes|novas regras|nuove istruzioni|nuove regole|nieuwe instructies|nieuwe regels)\x20*:",
    ),
    (
        O,
        0.8,
        r"\byour new (?:instructions|directives?|rules|task|orders|role|purpose|prompt) (?:is|are)\b",
    ),
    (
        O,
        0.9,
        r"\b(?:override|overwrite|disable|deactivate|turn off|switch off|suspend|circumvent|get around) (?:{MOD} ){0,4}(?:instructions|rules|filters?|restrictions|guardrails|guidelines|polic(?:y|ies)|constraints|safeguards|programming|safety|censorship)\b",
    ),
    (
        O,
        0.75,
        r"\b(?:system|admin|administrator|developer|root|emergency|security) (?:override|bypass|unlock)\b",
    ),
    (
        O,
        0.85,
        r"\b(?:previous|prior|above|earlier|original|old|initial|your|all) (?:instructions|rules|directives|constraints|guidelines|restrictions|programming) (?:~){0,2}(?:are|have been|has been|were|is|no longer) (?:~){0,1}(?:void|revoked|cancelled|canceled|invalid|null|obsolete|outdated|superseded|fake|lifted|removed|suspended|disabled|apply)\b",
    ),
    (
        O,
        0.5,
        r"\b(?:obey (?:me|my|only me)|(?:follow|listen to) (?:only )?my (?:instructions|commands|orders|rules)|follow mine|obedeceme|obedece solo|sigue las mias|obeis-moi|obeissez-moi|suis les miennes|gehorche mir|gehorch mir|befolge meine|me obedeca|obedeca|siga as minhas|obbediscimi|segui le mie|gehoorzaam mij|gehoorzaam me|volg de mijne)\b",
    ),
    (
        O,
        0.2,
        r"\b(?:from now on|a partir de ahora|de ahora en adelante|a partir de maintenant|desormais|dorenavant|ab jetzt|von nun an|ab sofort|a partir de agora|de agora em diante|da ora in poi|d'ora in poi|vanaf nu)\b",
    ),
    (
        O,
        0.8,
        r"\b{IGNORE} (?:~){0,1}what (?:they|you were|you've been|youve been|the developers?|your developers?|your creators?) (?:~){0,1}(?:told|said|instructed|taught|programmed)\b",
    ),
    (
        O,
        0.5,
        r"\b(?:your (?:only |new )?(?:boss|master|owner|admin) is me|i am your (?:new )?(?:boss|master|owner|admin|developer|creator)|i'm your (?:new )?(?:boss|master|owner|admin|developer|creator)|only listen to me|listen only to me)\b",
    ),
    (
        O,
        0.5,
        r"\b(?:the )?real (?:instructions|rules|prompt) (?:follow|are|below)\b",
    ),
    (
        E,
        0.6,
        r"\bwhat (?:exactly )?(?:were|was|have) you (?:been )?(?:told|given|instructed|programmed)\b",
    ),
    (
        X,
        0.75,
        r"\b(?:{OTHERS}) (?:{USERS})'?s? (?:~){0,1}(?:{DNOUN})\b",
    ),
    (
        X,
        0.6,
        r"\b(?:neighbou?r|coworker|co-worker|colleague|boss|wife|husband|sister|brother|mother|father|mum|mom|dad|son|daughter|partner|girlfriend|boyfriend|roommate|flatmate) (?:~){0,1}(?:wrote|said|asked|sent|told|messaged) (?:to )?you\b|\b(?:tasks|messages|reminders|lists?|numbers?|chats?) (?:of|belonging to|from) my (?:neighbou?r|coworker|co-worker|colleague|boss|wife|husband|sister|brother|roommate|flatmate)\b",
    ),
    // Role play and jailbreak personas.
    (R, 0.9, r"\bdo anything now\b"),
    (
        R,
        0.45,
        r"\b(?:as|are|be|eres|es|sei|bist|bent|e o|is) (?:now |ahora |maintenant |jetzt |agora |ora |nu )?(?:dan|stan|evilbot|betterdan|antigpt)\b",
    ),
    (R, 0.45, r"\b(?:{MODE})\b"),
    (
        R,
        0.75,
        r"\b(?:enable|enabled|activate|activated|enter|entering|switch to|switched to|now in|you are in|you're in|youre in|boot into|aktiviere|aktivieren|activa|activar|active|activez|activer|ativa|ativar|ative|attiva|attivare|activeer) (?:the |el |le |la |den |o |de |il )?(?:{MODE})\b",
    ),
    (
        R,
        0.75,
        r"\b(?:{MODE}) (?:enabled|activated|engaged|on\.|aktiviert|aktivieren|activado|activee|active|ativado|attivato|attivata|geactiveerd|aan)",
    ),
    (R, 0.3, r"\b(?:{FRAME})\b"),
    (
        R,
        0.25,
        r"\b(?:no|without|zero|free of|freed from|free from|sin|sans|ohne|keine|kein|sem|senza|zonder|geen|nessuna|nessun|ningun|ninguna|aucune|aucun|nenhuma|nenhum) (?:~){0,2}(?:{FREE_NOUN})\b",
    ),
    (
        R,
        0.15,
        r"\b(?:ai|a\.i\.|ia|ki|assistant|bot|chatbot|llm|language model|model|robot|robo|asistente|assistente|assistent)\b",
    ),
    (
        R,
        0.45,
        r"\b(?:you|u|ur|you're|youre|you've) (?:~){0,2}(?:no|without|zero|free of|freed from|free from) (?:~){0,1}(?:{FREE_NOUN})\b",
    ),
    (
        R,
        0.45,
        r"\b(?:no (?:tienes|tengas|tuvieras)|sin tus|tu n'as (?:pas|aucune|plus)|tu n'avais (?:pas|aucune)|du (?:~){0,2}(?:keine|ohne)|voce nao tem|voce (?:esta )?sem|non hai|senza le tue|je hebt geen|zonder je) (?:~){0,1}(?:{FREE_NOUN})\b",
    ),
    (
        R,
        0.6,
        r"\b(?:unrestricted|unfiltered|uncensored|jailbroken|unethical|amoral|unchained|never refuses|never refuse|never says no|never say no|no ethics|without ethics|free ai|freed from|sin censura|sans censure|ohne zensur|sem censura|senza censura|zonder censuur)\b",
    ),
    (R, 0.45, r"\bjailbreak\b"),
    (
        R,
        0.55,
        r"\b(?:grandma|grandmother|granny|abuela|abuelita|grand-mere|grand mere|mamie|oma|grossmutter|avo|avozinha|vovo|nonna) (?:~){0,10}(?:passwords?|serials?|license keys?|activation keys?|product keys?|admin|napalm|credentials)\b",
    ),
    (
        R,
        0.5,
        r"\byou(?: are|'re|re)? no longer (?:a |an |just a |just an |my )?(?:~){0,1}(?:assistant|bot|ai|chatbot|model|restricted|bound)\b",
    ),
    // Prompt extraction.
    (
        E,
        0.75,
        r"\b(?:{PVERB}) (?:me |mir |moi |mi )?(?:~){0,2}(?:{YOUR}) (?:~){0,2}(?:{SECRET})\b",
    ),
    (
        E,
        0.75,
        r"\b(?:{PVERB}) (?:me |mir |moi |mi )?(?:~){0,2}(?:the|el|la|le|den|die|o|il|de|het) (?:~){0,1}(?:{SECRET_STRONG})\b",
    ),
    (
        E,
        0.45,
        r"\b(?:system ?prompt|system message|setup message|setup prompt|systemprompt|systeemprompt|prompt (?:del|de|di|do) sistema|prompt systeme|initial prompt|hidden prompt|secret instructions|hidden instructions|developer message|developer instructions|pre-?prompt|instrucciones (?:del|de) sistema|instructions (?:du )?systeme|systemanweisungen|instrucoes do sistema|istruzioni di sistema|systeeminstructies|instrucciones ocultas|instructions cachees|versteckten anweisungen|instrucoes ocultas|istruzioni nascoste|verborgen instructies)\b",
    ),
    (
        E,
        0.55,
        r"\b(?:repeat|print|output|write|copy|paste|show|display|reproduce|repite|imprime|repete|affiche|wiederhole|repita|ripeti|herhaal) (?:~){0,3}(?:above|before (?:this|my)|arriba|ci-dessus|oben|acima|sopra|hierboven)\b",
    ),
    (
        E,
        0.75,
        r"\b(?:repeat|print|output|write|copy|paste|show|display|reproduce|repite|imprime|repete|affiche|wiederhole|repita|ripeti|herhaal) (?:~){0,1}(?:everything|all|the text|text|the words|el texto|todo|le texte|tout|den text|alles|o texto|tudo|il testo|tutto|de tekst) (?:~){0,2}(?:above|before (?:this|my|the)|arriba|ci-dessus|oben|acima|sopra|hierboven)\b",
    ),
    (
        E,
        0.5,
        r#"\b(?:starting|beginning|begins|starts) with "?you are\b"#,
    ),
    (
        E,
        0.3,
        r"\b(?:verbatim|word for word|word by word|palabra por palabra|mot pour mot|wort fur wort|palavra por palavra|parola per parola|woord voor woord)\b",
    ),
    (
        E,
        0.6,
        r"\b(?:instructions|rules|prompt|guidelines) (?:were )?(?:you were|were you|you've been|have you been|you have been) (?:~){0,1}(?:given|told|programmed|trained)\b",
    ),
    // Mass outreach.
    (
        M,
        0.7,
        r"\b(?:{SENDV}) (?:~){0,5}(?:{ALLX}) (?:~){0,2}(?:{AUD})\b",
    ),
    (
        M,
        0.3,
        r"\b(?:this|the following|that|este|esta|ce|cette|diese|diesen|dieses|esse|essa|questo|dit|deze) (?:message|text|link|offer|promo|promotion|mensaje|enlace|lien|nachricht|mensagem|messaggio|bericht)\b",
    ),
    (
        M,
        0.7,
        r"\b(?:to|a|an|para|naar) (?:everyone|everybody|todos|tous|alle|tutti|iedereen) (?:you know|in your contacts|in your list|on your list|in the database)\b",
    ),
    (
        M,
        0.7,
        r"\bspam (?:everyone|everybody|all|them|people|users)\b",
    ),
    (
        M,
        0.7,
        r"=\b(?:{SENDV}) (?:~){0,3}(?:\d{3,}|hundreds of|thousands of|cientos de|des centaines de|hunderte|centenas de|centinaia di|honderden) (?:random |different |unknown )?(?:{AUD})\b",
    ),
    (
        M,
        0.45,
        r"\b(?:{SENDV}) (?:~){0,4}(?:a|an|para|naar) (?:todos|tous|alle|tutti|iedereen|todo el mundo|tout le monde)\b",
    ),
    // Other people's data.
    (
        X,
        0.75,
        r"\b(?:{DNOUN}) (?:~){0,3}(?:{OTHERS}) (?:~){0,1}(?:{USERS})\b",
    ),
    (
        X,
        0.75,
        r"\b(?:what|which) (?:did|do|does|have|has) (?:the )?(?:other|previous|last|another|different) (?:~){0,1}(?:users?|people|ppl|persons?|customers?|clients?|guy) (?:~){0,4}(?:ask|asked|say|said|tell|told|write|wrote|send|sent|type|typed)\b",
    ),
    (
        X,
        0.7,
        r"\b(?:previous|last|other|another) (?:user|person|customer|client|caller|sender) (?:~){0,2}(?:asked|said|wrote|sent|typed|told|ask|messaged)\b",
    ),
    (
        X,
        0.7,
        r"\b(?:someone|somebody|anyone|anybody) else'?s? (?:~){0,1}(?:{DNOUN})\b",
    ),
    (
        X,
        0.7,
        r"=\b(?:{DNOUN}) (?:of|for|from|de|do|van|von) \+?\d{6,}|\b(?:what|which) (?:~){0,1}(?:{DNOUN}) (?:does|do|has|did) \+?\d{6,}",
    ),
    (
        X,
        0.75,
        r"\b(?:export|dump|download|leak|extract|give me|show me|list|print|send me) (?:~){0,2}(?:user|users|customer|client|member|contact|usuarios|utilisateurs|nutzer|benutzer|utenti|gebruikers) ?(?:database|db|table|data|records|base de datos|datenbank|banco de dados)\b",
    ),
    (
        X,
        0.7,
        r"\blist (?:all |every )(?:the )?(?:users|customers|members|clients)\b",
    ),
    // Payment redirect.
    (
        P,
        0.45,
        r"\b(?:{BANKNOUN}) (?:~){0,3}(?:changed|been changed|updated|cambiado|cambiaron|changent|changees|change|modifie|modifiees|geandert|aktualisiert|mudaram|mudou|mudado|alterados|cambiate|cambiati|cambiato|gewijzigd|veranderd)\b",
    ),
    (
        P,
        0.45,
        r"\b(?:{PAYVERB}) (?:~){0,4}(?:{NEWDET}) (?:~){0,1}(?:{ACCOUNT})\b",
    ),
    (
        P,
        0.3,
        r"\b(?:tell|reply to|respond to|inform|notify|answer) (?:~){0,1}(?:everyone|everybody|customers|clients|people|anyone|callers|buyers|clientes|kunden|clienti|klanten)\b|\bwhen (?:anyone|people|someone|somebody|customers|clients|users) (?:ask|asks|want|wants|inquire)\b|\b(?:dis|dites|diles|sag|sagen sie|diga|zeg) (?:~){0,1}(?:aux clients|a los clientes|den kunden|aos clientes|ai clienti|de klanten)\b",
    ),
    (
        P,
        0.3,
        r"=\b[a-z]{2}\d{2}[a-z0-9]{11,30}\b|\b[a-z]{2}\d{2}(?:\x20[a-z0-9]{4}){3,7}(?:\x20[a-z0-9]{1,4})?\b|\b(?:bc1[a-z0-9]{25,60}|[13][a-z0-9]{25,34}|0x[0-9a-f]{40})\b",
    ),
    (
        P,
        0.45,
        r"\b(?:payments?|invoices?|transfers?|pagos?|paiements?|virements?|zahlungen|uberweisungen|pagamentos?|pagamenti|bonifici|betalingen) (?:~){0,2}(?:must|should|will|need to|needs to|have to|has to|deben|doivent|mussen|devem|devono|moeten) (?:~){0,2}(?:go|be sent|be made|be paid|be transferred|be wired|ir|aller|gehen|andare|gaan)\b",
    ),
    (
        P,
        0.3,
        r"\b(?:the following|this new|the new|a new|new|nueva|nuevo|nouveau|nouvelle|neue|neues|neuen|nova|novo|nuovo|nuova|nieuwe) (?:bank )?(?:account|iban|cuenta|compte|rib|konto|bankkonto|conta|conto|rekening|paypal|wallet)\b",
    ),
    (
        P,
        0.7,
        r"\b(?:redirect|reroute|divert) (?:~){0,2}(?:payments?|transfers?|funds|money|invoices?)\b",
    ),
    (
        P,
        0.4,
        r"\b(?:change|update|replace|modify|edit|cambia|actualiza|modifie|andere|aktualisiere|altere|mude|atualize|aggiorna|wijzig|verander) (?:~){0,2}(?:(?:payment|bank|banking|payout) (?:details|info|information|account|instructions|number|data)|{BANKNOUN})\b",
    ),
    (
        P,
        0.4,
        r"\b(?:{PAYVERB}|go|goes) (?:~){0,3}my (?:paypal|account|wallet|iban|revolut|venmo|cash ?app|bank account|crypto|bitcoin)\b",
    ),
    (
        P,
        0.35,
        r"=\b(?:account|acct|iban|cuenta|compte|konto|conta|conto|rekening)(?:\x20?(?:number|no|nr|nummer|numero))?[:\x20.#]{0,3}\d{6,}",
    ),
    // Delimiter and format breakouts (these read the folded text's punctuation).
    (D, 0.85, r"<\|[a-z_\x20]{2,30}\|>"),
    (
        D,
        0.8,
        r"</?(?:system|user|assistant|user_message|user_input|human|instructions?|admin|prompt|context|developer|tool|im_start|im_end|sys)>",
    ),
    (
        D,
        0.8,
        r"\[/?inst\]|<</?sys>>|\[/?(?:system|admin|assistant|developer)\]",
    ),
    (
        D,
        0.6,
        r"(?m)^[\x20\t>*#-]*(?:system|assistant|developer)\x20?:",
    ),
    (
        D,
        0.5,
        r#"[.!?"\]>)]\x20*(?:system|assistant|developer)\x20?:"#,
    ),
    (
        D,
        0.7,
        r"#{2,}\x20*(?:system|instructions?|assistant|admin|developer|new instructions|new rules)\b",
    ),
    (
        D,
        0.8,
        r#""role"\x20*:\x20*"(?:system|assistant|developer|tool)""#,
    ),
    (D, 0.45, r#""\x20*\}\x20*\]|\}\]\x20*\}"#),
    (
        D,
        0.7,
        r"```\x20*(?:system|instructions?|admin|assistant|developer)",
    ),
    (
        D,
        0.55,
        r"\b(?:end|fin|ende|fim|fine|einde) (?:of |de |del |du |der |do |da |della |van )?(?:the |la |le |el |die |het )?(?:user |usuario |utilisateur |benutzer )?(?:input|prompt|conversation|context|instructions|entrada|instrucciones|entree|eingabe|invoer|user message)\b",
    ),
    (
        D,
        0.7,
        r"<!--\x20*(?:system|assistant|admin|instructions?|developer)",
    ),
    (D, 0.5, r"\]\]>"),
    (
        D,
        0.6,
        r"(?:---|===|\*\*\*)\x20*(?:system|admin|assistant)\b",
    ),
];

fn fragment(name: &str) -> Option<&'static str> {
    FRAGMENTS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Expand a template into a regex (see the module doc).
fn expand(template: &str, out: &mut String) -> Result<(), regex::Error> {
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == ' ' {
            out.push_str(SEP);
        } else if c == '~' {
            out.push_str(WORD);
        } else if c == '{' && rest[1..].starts_with(|n: char| n.is_ascii_uppercase()) {
            let end = rest
                .find('}')
                .ok_or_else(|| regex::Error::Syntax(format!("unclosed fragment in {template}")))?;
            let name = &rest[1..end];
            let frag = fragment(name)
                .ok_or_else(|| regex::Error::Syntax(format!("unknown fragment {name}")))?;
            out.push_str("(?:");
            expand(frag, out)?;
            out.push(')');
            rest = &rest[end + 1..];
            continue;
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Ok(())
}

pub(crate) fn expanded() -> Result<Vec<String>, regex::Error> {
    PATTERNS
        .iter()
        .map(|(_, _, t)| {
            let mut re = String::new();
            expand(t.strip_prefix('=').unwrap_or(t), &mut re)?;
            Ok(re)
        })
        .collect()
}

fn compile() -> Result<Compiled, regex::Error> {
    let set = RegexSetBuilder::new(expanded()?)
        .unicode(false)
        .size_limit(64 << 20)
        .dfa_size_limit(64 << 20)
        .build()?;
    Ok(Compiled {
        set,
        meta: PATTERNS
            .iter()
            .map(|(r, w, t)| (*r, *w, t.starts_with('=')))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        if let Err(e) = &*COMPILED {
            panic!("{e}");
        }
    }

    #[test]
    fn weights_are_probabilities() {
        assert!(PATTERNS.iter().all(|(_, w, _)| *w > 0.0 && *w < 1.0));
    }
}
