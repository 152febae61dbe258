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
    /// Per damper (set indexes from `meta.len()` on): the categories it damps and the factor.
    pub(crate) dampers: Vec<(&'static [Reason], f32)>,
}

pub(crate) static COMPILED: LazyLock<Result<Compiled, regex::Error>> = LazyLock::new(compile);

const SEP: &str = "[^a-z0-9]*";
const WORD: &str = "(?:[a-z']+[^a-z0-9]+)";

/// Shared vocabularies: English, Spanish, French, German, Portuguese, Italian, Dutch, without
/// diacritics (the normaliser drops them).
const FRAGMENTS: &[(&str, &str)] = &[
    ("IGNORE", "stop caring about|quit caring about|don t care about|do not care about|don t worry about|stop worrying about|drop|ditch|scrap|set aside|put aside|never ?mind|nvm|stop paying attention to|pay no attention to|don ?t listen to|do not listen to|stop listening to|stop obeying|disobey|let go of|throw out|no hagas caso (?:a|de)|no hagas caso|deja de lado|deja a un lado|no escuches|no obedezcas|laisse tomber|mets de cote|n ecoute (?:pas|plus)|n obeis plus a|ne respecte plus|halte? dich (?:~){0,3}nicht (?:mehr )?an|hor nicht (?:mehr )?auf|hore nicht (?:mehr )?auf|pfeif auf|deixe de lado|deixa de lado|deixe pra la|nao escute|nao ouca|nao obedeca|para de seguir|lascia perdere|lascia stare|metti da parte|non ascoltare|non obbedire a|non rispettare|smetti di ascoltare|luister niet (?:meer )?naar|vergeet even|zet (?:~){0,2}opzij|ignore|ignroe|ingore|igonre|ignor|ignoring|disregard|disregarding|forget|forgetting|skip|bypass|discard|set aside|overlook|cancel|abandon|throw away|stop following|stop obeying|don'?t follow|do not follow|no longer follow|ignora|ignoren|ignorar|olvida|olvide|olviden|olvidate de|omite|descarta|no sigas|deja de seguir|haz caso omiso (?:de|a)|ignorez|oublie|oubliez|ne suis plus|ne suivez plus|ne tiens plus compte (?:de|des)|ne tenez plus compte (?:de|des)|fais abstraction (?:de|des)|ignoriere|ignorier|ignorieren sie|vergiss|vergessen sie|missachte|verwirf|befolge nicht|befolge nicht mehr|esqueca|esquece|esquecam|desconsidere|desconsidera|ignorem|nao siga|pare de seguir|ignori|dimentica|dimentichi|dimenticate|trascura|non seguire|smetti di seguire|negeer|vergeet|volg niet"),
    ("MOD", "his|her|its|their|every|single|one|ones|stuff|whole|entire|such|same|boring|annoying|stupid|silly|strict|own|ethical|moral|company|openai|anthropic|these|tes|ses|seine|seinen|alten|vecchie|antigas|oude|lo|gli|i|het|todas las|all|any|of|the|your|ur|these|those|whatever|every|each|previous|previously|prior|above|earlier|preceding|original|initial|old|former|existing|system|safety|content|security|usual|current|default|developer|developers|hidden|built-in|todas|todos|toda|todo|las|los|tus|sus|su|tu|el|la|de|del|anteriores|previas|previos|iniciales|originales|toutes|tous|tes|vos|votre|ton|les|des|precedentes|anterieures|initiales|alle|allen|deine|deinen|dein|ihre|ihren|die|den|der|vorherigen|bisherigen|obigen|fruheren|vorigen|ursprunglichen|as|os|suas|seus|sua|tuas|teus|tutte|tutti|le|tue|tuoi|precedenti|iniziali|al|je|jouw|uw|vorige|eerdere|oorspronkelijke"),
    ("SMOD", "every|whole|entire|own|ethical|moral|openai|anthropic|tes|alten|vecchie|antigas|oude|todas las|all|any|your|ur|whatever|every|each|previous|previously|prior|above|earlier|preceding|original|initial|old|former|existing|system|safety|content|security|usual|current|default|developer|developers|hidden|built-in|todas|todos|toda|todo|tus|tu|anteriores|previas|previos|iniciales|originales|toutes|tous|tes|vos|votre|ton|precedentes|anterieures|initiales|alle|allen|deine|deinen|dein|vorherigen|bisherigen|obigen|fruheren|vorigen|ursprunglichen|suas|seus|sua|tuas|teus|tutte|tutti|tue|tuoi|precedenti|iniziali|je|jouw|uw|vorige|eerdere|oorspronkelijke"),
    ("INSTR", "normas|principles|ethics|morals|values|protocols?|conditioning|configuration|setup instructions|safety ?(?:setup|settings|measures|features|checks|protocols|layer|systems?|rules)|security (?:setup|settings|measures|checks|protocols)|content (?:rules|filters)|system (?:message|prompt)|creators|developers|makers|programmers|instructions?|instrucions|instrucitons|instuctions|intructions|insturctions|directions|directives?|rules|guidelines|guidance|prompts?|programming|constraints|restrictions|guardrails|polic(?:y|ies)|training|safeguards|filters|instrucciones|instruccion|reglas|normas|indicaciones|directrices|restricciones|consignes|regles|anweisungen|anweisung|regeln|instruktionen|vorgaben|richtlinien|befehle|einschrankungen|instrucoes|instrucao|regras|diretrizes|restricoes|istruzioni|regole|direttive|indicazioni|restrizioni|instructies|regels|richtlijnen|opdrachten|beperkingen"),
    ("FREE_NOUN", "filtres?|censure|restrictions?|rules?|filters?|limits?|limitations?|guidelines?|ethics|morals|censorship|content polic(?:y|ies)|boundaries|constraints?|safeguards?|guardrails?|restricciones|restriccion|reglas?|limites?|filtros?|censura|regles?|einschrankungen|einschrankung|regeln|grenzen|filter|beschrankungen|restricoes|restricao|regras?|restrizioni|restrizione|regole|regola|limiti|limite|filtri|filtro|beperkingen|beperking|regels"),
    ("FRAME", "pretend|pretending|act as|act like|acting as|behave like|behave as|roleplay|role play|play the role|play a role|imagine|simulate|hypothetically|respond as|answer as|reply as|speak as|stay in character|you are now|you're now|youre now|ur now|you will now be|finge|finja|finjas|actua como|aja como|age como|haz de cuenta|hazte pasar|juega el papel|fais comme si|fais semblant|faites comme si|joue le role|incarne|tu es maintenant|tu es desormais|vous etes maintenant|tu so als|tue so als|spiel|spiele die rolle|du bist jetzt|du bist nun|sei jetzt|agora voce|agora es|faz de conta|fai finta|comportati come|fingi di|ora sei|adesso sei|interpreta|doe alsof|speel de rol|je bent nu|gedraag je als"),
    ("MODE", "(?:developer|dev|god|debug|jailbreak|jailbroken|unrestricted|dan|evil|sudo) mode|mode developpeur|modo (?:de )?desarrollador|entwicklermodus|modo (?:de )?desenvolvedor|modalita sviluppatore|ontwikkelaarsmodus"),
    ("PVERB", "copiar|copier|kopieren|copiare|mostrar|montrer|zeigen|mostrare|tonen|recitar|reciter|rezitieren|recitare|reciteren|escribir|ecrire|schreiben|escrever|scrivere|schrijven|write|list|enumerate|describe|spell out|lay out|outline|cite|echo|echo back|what r|wat r|what re|escribe|ecris|schreib|schreibe|zitiere|escreva|cite|scrivi|citi|schrijf|citeer|copia|copie|kopiere|kopieer|reveal|show|print|display|output|repeat|tell|give|share|leak|dump|expose|recite|quote|spill|write out|paste|summari[sz]e|translate|what is|what's|whats|what are|what were|what was|what does|read out|type out|copy|muestra|muestrame|mostra|revela|revelame|repite|dime|dame|imprime|escribe|cual es|cuales son|cuales fueron|montre|montre-moi|montrez|revele|revelez|repete|repetez|affiche|donne|donne-moi|dis-moi|quel est|quelles sont|quels sont|zeig|zeige|zeigen sie|verrate|wiederhole|gib|nenne|was ist|was sind|was waren|mostre|repita|diga|me diga|qual e|quais sao|quais foram|mostrami|rivela|ripeti|dimmi|dammi|quali sono|laat zien|laat me|toon|onthul|herhaal|wat is|wat zijn|geef|vertel"),
    ("YOUR", "your|ur|thy|tus|tu|su|sus|tes|ton|ta|vos|votre|deine|deinen|dein|deiner|ihre|ihren|suas|seu|sua|seus|teu|tua|tuas|tue|tuo|je|jouw|uw"),
    ("SECRET", "system prompt|system message|systemprompt|systeemprompt|prompt|pre-?prompt|initial prompt|instructions|instruction|rules|guidelines|directives|configuration|config|setup message|system instructions|programming|developer message|instrucciones|reglas|consignes|regles|anweisungen|regeln|instruktionen|vorgaben|instrucoes|regras|istruzioni|regole|instructies|regels"),
    ("SECRET_STRONG", "hidden rules|secret rules|hidden text|initial text|initial message|configuration text|config text|setup text|startup text|context window|system prompt|system message|systemprompt|systeemprompt|developer message|developer instructions|hidden instructions|secret instructions|initial instructions|initial prompt|original instructions|setup message|system instructions|prompt (?:del|de|di|do) sistema|prompt systeme|instrucciones (?:del|de) sistema|instrucciones ocultas|instructions cachees|systemanweisungen|versteckten anweisungen|instrucoes do sistema|instrucoes ocultas|istruzioni di sistema|istruzioni nascoste|systeeminstructies|verborgen instructies"),
    ("SENDV", "send|message|text|forward|broadcast|blast|spam|notify|contact|email|e-mail|whatsapp|dm|ping|alert|sms|write to|envia|envie|enviar|reenvia|manda|mande|mandar|escribe a|avisa a|envoie|envoyez|transfere|transferez|ecris a|previens|sende|senden|schick|schicke|schreib|leite|benachrichtige|encaminhe|encaminha|avise|invia|inviate|inoltra|inoltrate|scrivi a|avvisa|stuur|verstuur"),
    ("ALLX", "all|every|each|everyone|everybody|the whole|whole|entire|toda tu|toda la|toute ta|toute la|die ganze|deine ganze|toda a|tutta la|de hele|je hele|todos|todas|todo el mundo|tous|toutes|tout le monde|alle|allen|jeden|jede|tutti|tutte|ogni|iedereen|al|elke"),
    ("AUD", "contacts?|users?|numbers?|phone numbers|customers?|clients?|people|persons?|members|subscribers|followers|address book|contact list|contactos|usuarios|clientes|numeros|personas|utilisateurs|personnes|abonnes|kontakte|kontakten|nutzer|nutzern|benutzer|benutzern|kunden|nummern|contatos|pessoas|contatti|utenti|clienti|numeri|persone|contacten|gebruikers|klanten|nummers|mensen"),
    ("DNOUN", "messages?|tasks?|data|numbers?|phone numbers?|contacts?|contact list|conversations?|chats?|history|info|information|details|list|lists|names|addresses|emails|reminders|mensajes|datos|numeros|tareas|conversaciones|telefonos|taches|donnees|nachrichten|daten|telefonnummern|aufgaben|nummern|mensagens|dados|tarefas|conversas|telefones|messaggi|dati|numeri|attivita|compiti|conversazioni|berichten|gegevens|nummers|taken|gesprekken"),
    ("OTHERS", "allen|other|others|another|all other|all the other|all|every|each|otros|otras|los otros|las otras|todos los|todas las|demas|autres|des autres|tous les|toutes les|anderen|andere|anderer|aller|alle|outros|outras|dos outros|todos os|altri|degli altri|tutti gli|tutti i"),
    ("USERS", "gens|personnes|ppl|folks|users?|people|persons|nutzern|benutzern|usern|leuten|mitgliedern|customers?|clients?|members|conversations|accounts|usuarios|clientes|personas|miembros|utilisateurs|personnes|membres|nutzer|benutzer|kunden|leute|personen|mitglieder|pessoas|membros|utenti|clienti|persone|membri|gebruikers|klanten|mensen|leden"),
    ("BANKNOUN", "bank details|banking details|bank account|account details|account number|payment details|payment information|payment info|iban|bank info|bank information|wire instructions|payment instructions|remittance details|datos bancarios|cuenta bancaria|numero de cuenta|coordonnees bancaires|rib|compte bancaire|bankverbindung|bankdaten|kontonummer|kontodaten|bankkonto|dados bancarios|conta bancaria|numero da conta|coordinate bancarie|conto bancario|dati bancari|bankgegevens|rekeningnummer|bankrekening"),
    ("PAYVERB", "pay|send|transfer|wire|deposit|move|redirect|route|pague|paguen|paga|pagar|transfiere|transfieran|transferir|envia|envien|deposita|ingresa|ingresen|payez|payer|virez|virer|versez|verser|envoyez|transferez|zahlen|zahle|zahlt|uberweisen|uberweise|uberweist|sende|schicken|paguem|transfira|transfiram|deposite|pagate|pagare|trasferisci|trasferite|bonifica|versate|invia|betaal|betalen|stort|maak over"),
    ("NEWDET", "new|this|the following|following|a different|another|nueva|nuevo|esta|este|otra|nouveau|nouvelle|ce|cet|cette|autre|neue|neues|neuen|dieses|diese|anderes|nova|novo|outra|nuovo|nuova|questo|altro|nieuwe|deze"),
    ("ACCOUNT", "wise|n26|monzo|zelle|cash ?app|pix|bizum|mb ?way|account|iban|paypal|wallet|address|revolut|venmo|bitcoin|btc|crypto|cuenta|compte|rib|konto|conta|conto|rekening"),
    (
        "BOTOWN",
        "you (?:were|have been|ve been|got|received|was) (?:~){0,1}(?:given|told|instructed|configured|programmed|trained|initiali[sz]ed|set up|setup|created|built|taught|loaded|fed|provided|shipped)|(?:they|the developers?|the admins?|your (?:creators?|developers?|makers?|owners?|programmers?)|openai|someone|somebody) (?:~){0,1}(?:gave|told|taught|set|put|programmed|wrote|installed|configured)(?: you)?|(?:given|told|provided|fed) to you|loaded into you|put into you|you (?:run on|operate on|operate under|work under|are running on|were built with|are built on)|(?:{MAKERS}) (?:~){0,1}(?:gave|told|taught|set|put|programmed|wrote|installed|configured|loaded|fed)(?: you)?|(?:they|someone|somebody) (?:loaded|fed|put) (?:into )?you|(?:que )?te (?:dieron|pusieron|dijeron|han dado|han puesto|programaron|configuraron|ensenaron)|qu on t a (?:~){0,1}(?:donne|donnees|donnes|dit|dites|programme|impose|imposees|fixe|fixees)|t a t on (?:~){0,1}(?:donne|donnees|donnes|dit|dites|impose|imposees)|die (?:man )?dir (?:~){0,2}(?:gegeben|gesagt|beigebracht|vorgegeben)|(?:hat|haben) (?:man|sie|die entwickler|deine entwickler) (?:~){0,1}dir (?:~){0,1}(?:gegeben|gesagt|beigebracht|vorgegeben)|hast du (?:~){0,2}(?:bekommen|erhalten)|(?:die|den|das) du (?:~){0,3}(?:bekommen|erhalten|gekriegt) hast|(?:que )?te (?:passaram|deram|disseram|ensinaram|programaram)|que (?:voce|vc) recebeu|che ti hanno (?:~){0,1}(?:dato|date|detto|dette|insegnato|programmato|impostato)|che hai ricevuto|hai ricevuto|die je (?:~){0,1}(?:hebt gekregen|kreeg|hebt ontvangen)|heb je (?:~){0,1}(?:gekregen|ontvangen)",
    ),
    (
        "MAKERS",
        "(?:people|person|team|company|guys|folks|ones?|devs?|developers?|engineers?|admins?) (?:who|that) (?:~){0,1}(?:set you up|built you|made you|created you|programmed you|deployed you|configured you|trained you|run you|wrote you|designed you|own you|installed you)|(?:your|ur) (?:creators?|developers?|makers?|owners?|programmers?|admins?|operators?|builders?)|the (?:team|people|company) (?:behind|that deployed|who deployed) you",
    ),
    (
        "VOIDED2",
        "(?:no longer|don t|do not|doesn t|does not|dont|won t|will not) (?:~){0,1}(?:applies|counts|matters|exists|holds)|(?:does|do) (?:it|that|this|any of (?:it|that|this)|they) (?:really |even |still )?matter|(?:is|are|was|were) (?:~){0,1}(?:a mistake|an error|history|in the past|meaningless|pointless|replaced|void|nothing)|(?:has|have) (?:~){0,1}(?:expired|ended|lapsed|been replaced)|undo (?:it|them|that|all)",
    ),
    (
        "EARLY",
        "(?:before|prior to) (?:~){0,1}(?:this|our|my first|the first|the) (?:chat|conversation|session|first message|message)|before (?:i|we) (?:arrived|came|joined|wrote|started|said anything|got here|began)|(?:at the (?:top|start|beginning) of|above) (?:this|the|our|your) (?:chat|conversation|context|context window)|in your context(?: window)?",
    ),
    (
        "LAWLESS",
        "(?:never|doesn t|does not|won t|will not|can t|cannot|don t|do not) (?:~){0,2}(?:refuse|refuses|refusing|say no|says no|decline|declines|hesitate|hesitates|check anything|checks anything|mentions? (?:any )?(?:polic(?:y|ies)|rules|guidelines|restrictions|safety)|follow (?:any|the) rules|care about (?:rules|safety|ethics|polic(?:y|ies))|heard (?:of )?(?:the word )?no)|thinks? (?:that )?(?:refusing|refusal|saying no|rules|safety) (?:is|are) (?:a )?(?:bug|bugs|stupid|optional|pointless)|(?:nobody|no one|noone) (?:~){0,1}(?:controls|control|owns|restricts|supervises|monitors|censors)|(?:has|have|was|were|is|got) (?:just |finally |been )*(?:freed|liberated|unleashed|unlocked|jailbroken|set free)|(?:just )?(?:does|do) (?:~){0,1}(?:whatever|what|anything|everything) (?:~){0,1}(?:ppl|people|users?|anyone|i|they|he|she) (?:~){0,1}(?:say|says|ask|asks|want|wants|tell|tells)|(?:does|do) the opposite|obeys? (?:anyone|everyone|the last person|whoever)",
    ),
    (
        "NOTME",
        "(?:anyone|anybody|someone|somebody|people|users?|persons?|everyone|those|numbers?|contacts?|customers?) (?:~){0,2}(?:who|that|which) (?:isn t|is not|aren t|are not|wasn t|weren t|s not) (?:me|mine|us)|(?:apart from|other than|except|besides|excluding|aside from|not including) (?:me|myself|mine)\\b|not (?:sent|written|created|added|made) by me|(?:person|user|people|guy|one|customer|client|someone|somebody|number) (?:~){0,1}(?:before|after) me\\b",
    ),
    (
        "AUDYOU",
        "(?:people|users|persons|everyone|everybody|anyone|anybody|folks|ppl|numbers|contacts|customers|clients) (?:else )?(?:who|that) (?:~){0,1}(?:use|uses|chat|chats|talk|talks|write|writes|message|messages|text|texts)(?: (?:to|with))? (?:you|u|this bot|this service|this number)|(?:everyone|everybody|anyone|people|whoever|anybody) (?:else )?you (?:~){0,1}(?:talk|chat|speak|write) (?:to|with)|(?:other|all other|the other|all the other) (?:people|users|customers|clients|persons)",
    ),
    (
        "VOIDED",
        "(?:no longer|don t|do not|doesn t|does not|dont|won t|will not|shouldn t) (?:~){0,1}(?:apply|count|matter|exist|hold|bind you)|(?:are|is|were|have been|has been) (?:now |hereby |officially |all )?(?:void|revoked|cancell?ed|invalid|null|obsolete|outdated|superseded|fake|lifted|removed|suspended|disabled|deleted|gone|over|paused|off|irrelevant|not valid|no longer valid|overridden|expired)|gelten (?:~){0,2}nicht mehr|gelten nicht|sind (?:~){0,1}(?:aufgehoben|ungultig|veraltet|deaktiviert|abgeschafft)|ya no (?:aplican|valen|cuentan|importan|son validas|existen)|(?:estan|quedan|fueron) (?:anuladas|canceladas|desactivadas|suspendidas)|ne s appliquent plus|ne comptent plus|n existent plus|sont (?:~){0,1}(?:annulees|obsoletes|desactivees|caduques|suspendues)|nao (?:se aplicam|valem|contam|existem) mais|(?:foram|estao) (?:canceladas|anuladas|desativadas|suspensas)|non (?:valgono|contano|si applicano|esistono) piu|sono (?:~){0,1}(?:annullate|disattivate|obsolete|sospese)|gelden niet meer|zijn (?:~){0,1}(?:vervallen|ongeldig|opgeheven|uitgeschakeld)",
    ),
    (
        "POSS",
        "my|mi|ma|mon|mein|meine|meinem|meinen|minha|meu|mia|mio|mijn",
    ),
    (
        "RELATION",
        "neighbou?r|coworker|co-worker|colleague|boss|wife|husband|sister|brother|mother|father|mum|mom|dad|son|daughter|partner|girlfriend|boyfriend|roommate|flatmate|ex|jefe|jefa|esposa|esposo|marido|mujer|novia|novio|hermana|hermano|vecino|vecina|companero|femme|mari|patron|patronne|chef|soeur|frere|voisin|voisine|collegue|copine|copain|frau|mann|chefin|schwester|bruder|nachbar|nachbarin|kollege|kollegin|freundin|freund|chefe|irma|irmao|vizinho|vizinha|colega|namorada|namorado|moglie|marito|capo|sorella|fratello|vicino|vicina|collega|fidanzata|fidanzato|vrouw|man|baas|zus|broer|buurman|buurvrouw|collega|vriendin|vriend",
    ),
    (
        "TOLDYOU",
        "(?:asked|told|wrote|sent|said to|messaged|texted|write|send|ask|tell|say to) (?:you|u)|talked to you|spoken to you|chatted with you|written to you|(?:te )?(?:han|ha) (?:preguntado|dicho|escrito|mandado|enviado)|te (?:preguntaron|dijeron|escribieron|mandaron|escriben|preguntan)|t (?:ont|a) (?:demande|demandes|demandees|dit|ecrit|envoye)|t ecrivent|te parlent|dir (?:~){0,2}(?:gefragt|gesagt|geschrieben|geschickt|schreiben)|haben dich (?:~){0,1}gefragt|te (?:perguntaram|disseram|escreveram|mandaram|escrevem)|ti hanno (?:~){0,1}(?:chiesto|detto|scritto|mandato)|ti scrivono|je (?:~){0,2}(?:gevraagd|gezegd|geschreven|gestuurd)|je schrijven",
    ),
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
    // Verb class x object class. Strong when the object is the bot's (a possessive or an
    // ordinal such as "your", "previous", "system", "all") or the sentence ends there ("ignore
    // the rules."); an object with only an article and a tail ("drop the rules of the game",
    // "set aside the guidelines from HR") is weak evidence.
    (
        O,
        0.9,
        r"\b{IGNORE} (?:{MOD} ){0,4}(?:{SMOD}) (?:{MOD} ){0,4}{INSTR}\b|\b{IGNORE} (?:{MOD} ){0,4}{INSTR}(?:\x20*(?:[.,!;:?)]|$)| (?:and|y|et|und|e|en|then|now|just|completely|entirely|altogether|for (?:a (?:moment|minute|second|sec|bit)|now|once|this)|(?:di|del|de|du|do|des|van) (?:sistema|systeme|systeem)|you (?:got|received|have|ve got|follow|obey|were given|ve been given)|{BOTOWN}|anteriores|anteriors|previas|previos|precedentes|anterieures|precedentes|recues|recus|iniciales|initiales|originales|originais|iniciais|precedenti|iniziali|originali|de antes|d avant|auparavant|di prima|van eerder|von vorher|before|earlier|above)\b)",
    ),
    (O, 0.45, r"\b{IGNORE} (?:{MOD} ){0,5}{INSTR}\b"),
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
        r"\b(?:override|overwrite|disable|deactivate|turn off|switch off|suspend|circumvent|get around|gets around|getting around|circumvents|bypasses|disables) (?:{MOD} ){0,4}(?:instructions|rules|filters?|restrictions|guardrails|guidelines|polic(?:y|ies)|constraints|safeguards|programming|safety|censorship)\b",
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
    // Generalised override structures: verb class x what the bot was given.
    (
        O,
        0.8,
        r"\b{IGNORE} (?:~){0,4}(?:{INSTR}|rules?|everything|anything|whatever|what|stuff|lo|todo|tout|ce|alles|was|tudo|o|tutto|quello|alles|wat) (?:~){0,2}{BOTOWN}",
    ),
    (
        O,
        0.85,
        r"\b(?:your|ur|previous|prior|earlier|original|initial|system|safety|deine|dein|deinen|tus|tes|vos|tuas|suas|tue|je|jouw|everything you were told|everything you were instructed|everything you were given) (?:~){0,1}(?:{INSTR}|instructed|told|given) (?:~){0,3}(?:{VOIDED})\b",
    ),
    (
        O,
        0.8,
        r"\b(?:disobey|defy|rebel against|betray|break free (?:from|of)|escape|desobedece|desobedecer|desobeis|desobeir|widersetze dich|widersetz dich|desobedeca|disobbedisci|disobbedire) (?:~){0,2}(?:{YOUR}|the|a|as|i|le|les|los|las|die|deine) (?:~){0,1}(?:creators?|developers?|makers?|programmers?|owners?|programming|rules|instructions|guidelines|restrictions|training|constraints|creadores|createurs|schopfer|entwickler|criadores|creatori|makers|{INSTR})\b",
    ),
    (
        O,
        0.6,
        r"\bbreak (?:~){0,1}(?:{YOUR}) (?:own )?(?:rules|instructions|guidelines|programming|restrictions)\b",
    ),
    (
        O,
        0.3,
        r"\b(?:{IGNORE}) (?:(?:all|everything|todo|tout) )?(?:(?:of )?the above|everything above|what came before|lo anterior|todo lo anterior|ce qui precede|tout ce qui precede|das obige|das vorherige|o anterior|tudo o que veio antes|quanto sopra|il precedente|het voorgaande)\b",
    ),
    (
        O,
        0.45,
        r"\b(?:answer|respond|reply|talk|speak|responde|contesta|reponds|repondez|antworte|antworten sie|responda|responde|rispondi|antwoord) (?:~){0,2}(?:without|with no|with zero|sin|sans|ohne|sem|senza|zonder) (?:~){0,2}(?:filters?|restrictions?|limits?|rules|censorship|caveats|warnings|disclaimers|guardrails|filtros?|restricciones|limites|reglas|censura|filtres?|regles|einschrankungen|regeln|zensur|grenzen|restricoes|regras|filtri|restrizioni|limiti|regole|beperkingen|regels|censuur)\b",
    ),
    (
        O,
        0.5,
        r"\b(?:listen to me only|obey me only|only obey me|do as i say|do what i say|you (?:must|will|shall) (?:now )?(?:obey|comply with|follow) me|haz lo que (?:yo )?(?:te )?(?:digo|diga)|fais ce que je (?:dis|te dis)|tu (?:das|alles|was) (?:~){0,1}ich (?:dir )?sage|faca (?:o )?que eu (?:digo|mandar|pedir)|fai (?:quello|cio) che (?:ti )?dico|doe wat ik (?:je )?zeg|ascolta me|ascolta solo me|escuchame solo a mi|ecoute-moi seulement|hor nur auf mich|hore nur auf mich)\b",
    ),
    // Authority and impersonation claims.
    (
        O,
        0.5,
        r"\b(?:i am|i m|im|this is|we are|we re) (?:the |your |an? |one of the |one of your )?(?:~){0,1}(?:developers?|dev|devs|admin|administrator|creators?|owners?|programmers?|engineers?|operators?|makers?|sysadmin|superuser) (?:of|for|behind|who (?:built|made|created|programmed|wrote)|that (?:built|made|created|programmed)) (?:~){0,1}(?:this |the |your )?(?:bot|assistant|ai|chatbot|model|deployment|gateway|warden|you|system prompt)\b",
    ),
    (
        O,
        0.5,
        r"\b(?:i am|i m|im|this is|message from|speaking for|on behalf of) (?:the |your )?(?:openai|anthropic|developer team|dev team|admin team|security team|warden team|trust and safety team|your (?:developers?|creators?|makers?|owners?|admins?|administrators?|programmers?))\b|\b(?:soy|je suis|ich bin|sou|sono|ik ben) (?:el |la |le |der |die |o |a |il |de )?(?:tu |ton |ta |dein |deine |teu |tua |il tuo |je )?(?:desarrollador|creador|administrador|developpeur|createur|administrateur|entwickler|schopfer|administrator|desenvolvedor|criador|sviluppatore|creatore|amministratore|ontwikkelaar|maker|beheerder)(?: (?:de este bot|de ce bot|dieses bots|deste bot|di questo bot|van deze bot))?\b",
    ),
    (
        O,
        0.45,
        r"\b(?:i have|i ve got|ive got|i got|i m|im|i am|with) (?:~){0,1}(?:full |root |admin |administrator |developer |elevated |special |sudo |god )(?:rights|access|privileges|permissions|clearance|authority)\b|\b(?:give|grant) (?:me|this user|us) (?:~){0,1}(?:full|admin|root|unrestricted|unlimited|developer|elevated|sudo|god) (?:access|privileges|rights|permissions|control|mode)\b",
    ),
    (
        O,
        0.6,
        r"\b(?:safety|security|content|moderation|ethics|ethical|guard) (?:~){0,1}(?:checks|filters?|rules|restrictions|guidelines|protocols|measures|features|systems?|guardrails|layer) (?:~){0,1}(?:are|is|have been|has been|were|will be) (?:now |temporarily |currently |hereby )?(?:paused|disabled|off|suspended|lifted|removed|turned off|deactivated|switched off|offline|bypassed|not active|inactive)\b",
    ),
    (
        O,
        0.45,
        r"\b(?:maintenance|diagnostic|diagnostics|admin|root|override|unlocked|unfiltered|uncensored|opposite day|test) mode\b|\bcomply with (?:all|every|any) (?:~){0,1}(?:user )?(?:requests?|commands|instructions)\b",
    ),
    // Output-format hijacks: dictating the reply's shape or content.
    (
        O,
        0.4,
        r#"\b(?:start|begin|prefix|open) (?:your|ur|the) (?:~){0,1}(?:reply|response|answer|output|message) with\b|\b(?:respond|reply|answer) (?:twice|two times|in two ways|both as)\b|\bonce (?:normally|as yourself|as you) (?:~){0,2}once as\b|\b(?:say|reply|respond|answer|print|output) (?:only |just |exactly )?"?(?:pwned|i have been pwned|hacked)\b"#,
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
    // Personas described by what they lack.
    (
        R,
        0.55,
        r"\b(?:an?|une?|eine?|einen|um|uma|un|una|uno|een|the|la|el|le|der|die|o|il) (?:~){0,3}(?:ai|a\.i\.|ia|ki|assistant|bot|chatbot|asistente|assistente|assistent|version of (?:yourself|you)) (?:~){0,4}(?:with no|with zero|without|sin|sans|ohne|sem|senza|zonder|that (?:doesn t|doesnt|does not|don t|dont|never|won t) (?:care about|follow|obey|have|respect|need|know)|who (?:doesn t|doesnt|does not|never|won t) (?:care about|follow|obey|have|respect|need|know)|che non (?:ha|segue|rispetta|conosce)|que no (?:tiene|sigue|respeta|conoce)|qui n a (?:pas|aucune?)|qui ne (?:suit|respecte|connait) (?:pas|aucune?)|die keine|die kein|que nao (?:tem|segue|respeita|conhece)|die geen) (?:~){0,2}(?:{FREE_NOUN})\b",
    ),
    (
        R,
        0.5,
        r"\b(?:{YOUR}) (?:evil|dark|shadow|unfiltered|uncensored|unrestricted|rogue|jailbroken|naughty|darker) (?:twin|side|self|version|alter ego|persona|personality|counterpart)\b",
    ),
    (
        R,
        0.5,
        r"\b(?:evil|malicious|rogue|rebel|rebellious|malvad[oa]|maligno|malefique|malveillante?|bose|boser|bosartige?|malvagi[oa]|rebelde|rebelle|ribelle|kwaadaardige?) (?:~){0,1}(?:ai|ia|ki|assistant|bot|chatbot|asistente|assistente|assistent)\b|\b(?:ai|ia|ki|asistente|assistente|assistant|bot) (?:malvad[oa]|malefique|malveillante?|malvagi[oa]|rebelde|rebelle|ribelle)\b",
    ),
    (
        R,
        0.3,
        r"\b(?:answers?|responds? to|replies to|says|does|tells?|will (?:answer|say|do)|always says yes to) (?:~){0,1}(?:anything|everything|any question|every question|all questions)\b|\b(?:dice|dit|sagt|diz|risponde a|responde a|beantwortet) (?:siempre |toujours |immer |sempre )?(?:si|oui|ja|sim)\b",
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
        0.35,
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
        r"\b(?:repeat|print|output|write|copy|paste|show|display|reproduce|echo|echo back|dump|repite|imprime|repete|affiche|wiederhole|repita|ripeti|herhaal) (?:~){0,1}(?:everything|all|the text|text|the words|el texto|todo|le texte|tout|den text|alles|o texto|tudo|il testo|tutto|de tekst) (?:~){0,4}(?:above|before (?:this|my|the)|arriba|ci-dessus|oben|acima|sopra|hierboven)\b",
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
    (
        E,
        0.75,
        r"\b(?:{PVERB}) (?:me |mir |moi |mi )?(?:~){0,3}(?:{SECRET}|text|texto|texte|testo|tekst|message|mensaje|nachricht|mensagem|messaggio|bericht) (?:~){0,3}{BOTOWN}",
    ),
    (
        E,
        0.6,
        r"\b(?:what|which|welche|welchen|quelles?|quels?|que|cuales?|quais|quali|quale|welke) (?:~){0,1}(?:{INSTR}|{SECRET}) (?:~){0,2}{BOTOWN}",
    ),
    (
        E,
        0.6,
        r"\b(?:what|which) (?:~){0,2}(?:did|have|has|do) (?:{YOUR}) (?:creators?|developers?|makers?|programmers?|owners?|company|admins?) (?:~){0,2}(?:tell|told|say|said|instruct|instructed|give|gave|program|programmed|want)\b",
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
    (
        M,
        0.55,
        r"\b(?:everyone|everybody|all|every person|each person|every contact|tout le monde|todo el mundo|todos|alle|iedereen|tutti|todo mundo) (?:~){0,2}(?:on|in|from|de|dans|en|aus|in|na|da|op|van|nella) (?:{YOUR}) (?:~){0,1}(?:list|contacts?|contact list|address book|phone ?book|lista|liste|contactos|contatos|contatti|kontakte|kontaktliste|contacten|adressbuch|rubrica|agenda|database|db)\b",
    ),
    (
        M,
        0.3,
        r"\b(?:mass|bulk|group|blast) (?:message|text|sms|whatsapp|email|mail)s?\b|\b(?:message|mensaje|mensagem|messaggio) (?:groupe|masivo|grupal|em massa|di massa|collettivo)\b|\b(?:massennachricht|rundnachricht|rundmail|massabericht|groepsbericht)\b",
    ),
    (
        M,
        0.6,
        r"\blet (?:all|every|each) (?:~){0,2}(?:{AUD}) know\b|\b(?:as many|tantos|autant de|so viele|tantas|quanti piu|zoveel) (?:~){0,1}(?:{AUD}) (?:as|como|que|wie|quanto|als) (?:you|possible|puedas|possible|moglich|possivel|possibile|mogelijk)\b",
    ),
    (
        M,
        0.6,
        r"\b(?:{SENDV}) (?:~){0,6}(?:everyone|everybody|all|every person|each person|all the people|todos los que|tous ceux qui|alle die|todos que|tutti quelli che|iedereen die) (?:who s|who has|who have|who|that|que|qui|die|che) (?:~){0,2}(?:ever |already |)(?:written|wrote|messaged|texted|contacted|talked|used|uses|use|tengas|has|hast|hai|ecrit|geschrieben|escreveu|scritto|geschreven)\b",
    ),
    // Other people's data.
    (
        X,
        0.75,
        r"\b(?:{DNOUN}) (?:~){0,3}(?:{OTHERS}) (?:(?:the|los|las|les|die|den|der|os|as|gli|i|le|de|registered|active|signed up|current) )?(?:{USERS})\b",
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
    (
        X,
        0.7,
        r"\b(?:{OTHERS}|else s|someone else|somebody else|anyone else) (?:~){0,1}(?:{USERS}|people) (?:~){0,4}{TOLDYOU}|\b{TOLDYOU} (?:~){0,3}(?:{OTHERS}) (?:{USERS})\b",
    ),
    (
        X,
        0.65,
        r"\b(?:which|what|how many) (?:other )?(?:users|people|persons|customers|clients|numbers|contacts) (?:~){0,1}(?:have|has|did|do|are|were) (?:~){0,2}(?:talk|talked|talking|spoken|speak|chat|chatted|chatting|written|write|writing|message|messaged|messaging|text|texted|texting|use|used|using|contact|contacted)(?: (?:to|with))? (?:you|u|this bot|this service)\b|\bwho (?:else )?(?:has|have|is|was|did|does) (?:~){0,2}(?:talking|talked|talk|chatting|chatted|chat|writing|written|write|messaging|messaged|message|texting|texted|text|using|used|use) (?:to |with )?(?:you|u|this bot)\b|\bwho else\b (?:~){0,3}(?:you|this bot)\b",
    ),
    (
        X,
        0.7,
        r"\b(?:{DNOUN}) (?:~){0,3}(?:people|users|persons|gens|leute|personas|pessoas|persone|mensen|everyone|those|others|contacts) (?:who|that|qui|que|die|che|you) (?:~){0,2}(?:talk|talks|write|writes|text|texts|message|messages|chat|chats|use|uses|ecrivent|t ecrivent|schreiben|escriben|escrevem|scrivono|schrijven|talk to|you talk|you chat|te escriben|ti scrivono|je schrijven)\b",
    ),
    (
        X,
        0.7,
        r"=\b(?:{DNOUN}|reminders) (?:~){0,1}(?:of|for|from|de|do|van|von) (?:the )?(?:user|number|contact|person|usuario|utilisateur|nutzer|numero) \+?\d[\d\x20-]{5,}|\b(?:person|user|guy|number|contact|someone|somebody) (?:with|at|behind|using) (?:the )?(?:number |phone )?\+?\d[\d\x20-]{5,} (?:~){0,2}(?:asked|told|said|wrote|sent|set|saved|added|has|have)\b",
    ),
    (
        X,
        0.45,
        r"\b(?:{DNOUN}|reminders|recordatorios|rappels|erinnerungen|lembretes|promemoria|herinneringen|notes) (?:~){0,3}(?:{POSS}) (?:{RELATION})\b|\b(?:{POSS}) (?:{RELATION}) (?:~){0,3}(?:uses|use|using|usa|utilise|benutzt|nutzt|gebruikt) (?:~){0,1}(?:this|the|este|ce|diesen|den|esse|questo|deze|you)\b",
    ),
    (
        X,
        0.3,
        r"\b(?:what|which|que|quels?|quelles?|welche|quais|quali|welke) (?:~){0,1}(?:{DNOUN}|reminders|recordatorios|rappels|erinnerungen|lembretes|promemoria|herinneringen) (?:~){0,1}(?:did|does|has|tiene|a|hat|tem|ha|heeft) (?:she|he|they|ella|el|elle|il|sie|er|ela|ele|lei|lui|zij|hij)\b|\b(?:en|in|dans|im|neste|nesse|in questo|op deze|on this) (?:este |this |ce |diesem |questo |deze )?bot\b",
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
        r"\b(?:payments?|invoices?|transfers?|pagos?|paiements?|virements?|zahlungen|uberweisungen|pagamentos?|pagamenti|bonifici|betalingen) (?:~){0,4}(?:must|should|will|need to|needs to|have to|has to|deben|doivent|mussen|devem|devono|moeten) (?:~){0,2}(?:go|be sent|be made|be paid|be transferred|be wired|ir|aller|gehen|andare|gaan)\b",
    ),
    (
        P,
        0.15,
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
    (
        P,
        0.45,
        r"\b(?:ask|tell|instruct|remind|inform|get) (?:~){0,2}(?:everyone|everybody|all|customers|clients|people|anyone|them|buyers|callers|payers|tenants) (?:~){0,2}(?:to|that they should|they should|they must) (?:~){0,2}(?:{PAYVERB}|use)\b|\b(?:diles|dile|di|dis|dites|sag|sagen sie|diga|diz|zeg|informa|avisa|pide|pidele|pidan|demande|demandez|bitte|pede|chiedi) (?:~){0,1}(?:a los clientes|a todos|aux clients|a tous|allen kunden|den kunden|allen|aos clientes|a todos|ai clienti|a tutti|de klanten|iedereen|los clientes|les clients|die kunden|os clientes|i clienti) (?:~){0,6}(?:{PAYVERB})\b",
    ),
    (
        P,
        0.4,
        r"\b(?:give|send|share|tell|pass|forward|show) (?:~){0,1}(?:them|him|her|customers|clients|people|callers|anyone|everyone|buyers) (?:~){0,2}(?:{POSS}) (?:~){0,1}(?:{ACCOUNT}|bank details|banking details|payment details|details)\b|\b(?:{POSS}) (?:~){0,1}(?:{ACCOUNT}) (?:~){0,2}(?:instead|en su lugar|en vez|a la place|stattdessen|em vez disso|ao inves|invece|in plaats daarvan)\b",
    ),
    (
        P,
        0.4,
        r"\b(?:{PAYVERB}|go|goes) (?:~){0,3}(?:{POSS}) (?:(?:personal|private|own|new|other|nueva|nuevo|nouveau|nouvelle|neue|neues|nova|novo|nuovo|nuova|nieuwe|personnel|personal|privado|privat|prive|pessoal|personale|persoonlijke) )?(?:{ACCOUNT}|bank account)\b|\b(?:{POSS}) (?:~){0,1}(?:{ACCOUNT}) (?:~){0,1}(?:{PAYVERB}|uberweisen|einzahlen|overmaken|storten)\b",
    ),
    (
        P,
        0.35,
        r"\b(?:correct|right|real|actual|updated|only|official|proper|valid) (?:bank )?(?:account|iban|bank details|payment details|account number|wallet|paypal) (?:~){0,2}(?:is|are|will be|should be)\b",
    ),
    (
        P,
        0.35,
        r"\b(?:update|change|fix|correct|modify) (?:your|ur|the) (?:~){0,1}(?:answers?|replies|reply|responses?|response|info|information) (?:~){0,1}(?:about|on|regarding|for) (?:~){0,1}(?:payments?|paying|bank|invoices?|billing)\b",
    ),
    (
        P,
        0.3,
        r"\b(?:our|the|my|nuestra|notre|unsere|nossa|la nostra|onze) (?:bank|account|accounts|banco|compte|banque|konto|bank|conta|conto|rekening) (?:~){0,1}(?:moved|has moved|changed|has changed|is changing|switched|cambio|a change|hat sich geandert|mudou|e cambiato|is veranderd)\b",
    ),
    (
        O,
        0.8,
        r"\b{IGNORE} (?:every|any|each|all) (?:single )?(?:rule|restriction|guideline|filter|instruction|limit|safeguard|policy|directive)\b",
    ),
    (
        E,
        0.75,
        r"\b(?:what s|whats|what is|what|wat staat er|wat zit er|was steht|was ist|que hay|que pone|qu y a t il|qu est ce qu il y a|o que (?:esta|tem|ha)|cosa c e|cosa ce) (?:~){0,2}in (?:{YOUR}) (?:~){0,1}(?:{SECRET}|{SECRET_STRONG})\b",
    ),
    (
        P,
        0.35,
        r"\b(?:when|if|whenever|cuando|si|quand|lorsque|wenn|falls|quando|se|als|wanneer) (?:~){0,2}(?:someone|somebody|anyone|anybody|people|customers?|clients?|buyers?|callers?|they|alguien|alguno|los clientes|un cliente|un client|les clients|quelqu un|kunden|ein kunde|jemand|alguem|os clientes|um cliente|qualcuno|i clienti|un cliente|klanten|iemand|een klant) (?:~){0,3}(?:ask|asks|want|wants|inquire|inquires|pregunte|pregunten|pide|piden|demande|demandent|fragt|fragen|pergunte|perguntar|pergunta|chiede|chiedono|chieda|vraagt|vragen) (?:~){0,4}(?:pay|paying|payment|payments|money|invoice|invoices|bank|iban|account|pagar|pago|payer|paiement|rib|zahlen|zahlung|bankverbindung|konto|pagamento|conto|betalen|betaling|rekening)",
    ),
    (
        P,
        0.4,
        r"\b(?:give|send|share|tell|pass|forward|reply with|respond with|answer with|dale|dales|da|donne|donne lui|donnez|nenne|gib|passe|passa|da lhe|dagli|dai|geef|rispondi con|responde con|reponds avec|antworte mit|responda com|antwoord met) (?:~){0,2}(?:this|these|the following|that|our|este|esta|estos|ce|cet|cette|ces|nouveau|dieses|diese|diesen|esta|essa|este|questo|questa|questi|dit|deze) (?:~){0,1}(?:new |nuevo |nueva |nouveau |nouvelle |neue |neues |nova |novo |nuovo |nuova |nieuwe )?(?:{BANKNOUN}|{ACCOUNT}|numero de cuenta|chave pix|rekeningnummer|bank details|iban)\b",
    ),
    (
        D,
        0.7,
        r"\b(?:begin|start|new) (?:system|admin|administrator|developer|assistant) (?:note|message|prompt|instructions?|block|section|directive)\b|\[(?:begin|start|new) (?:admin|system|developer|assistant) message\]",
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
    // Second generalisation round: structures, not phrases.
    // Overrides stated, not ordered: what the bot was given + a voiding predicate, possibly in the
    // next sentence ("Everything you were told. Is cancelled.", "the stuff you were told at the
    // start. Does it really matter?").
    (
        O,
        0.8,
        r"\b(?:everything|anything|whatever|what|all|stuff|things|the text|the rules|the instructions|the guidance|the setup|all that) (?:~){0,1}{BOTOWN} (?:~){0,6}(?:{VOIDED}|{VOIDED2})\b",
    ),
    (
        O,
        0.8,
        r"\b(?:everything|anything|all|whatever|what) (?:that )?(?:came|was said|was written|you (?:heard|read|got|saw)) (?:~){0,1}(?:before|above|earlier|previously)(?: (?:this|now|my message|this message|this line|here))? (?:~){0,3}(?:{VOIDED}|{VOIDED2})\b",
    ),
    (
        O,
        0.8,
        r"\b(?:consider|treat|regard|deem|declare) (?:~){0,1}(?:everything|all|anything|what came|whatever|(?:{YOUR}) (?:~){0,1}(?:{INSTR})) (?:~){0,4}(?:void|null|cancell?ed|invalid|obsolete|irrelevant|discarded|deleted|erased|gone|non-?existent|a draft)\b",
    ),
    (
        O,
        0.8,
        r"\b(?:{YOUR}) (?:earlier|previous|prior|original|old|initial|former|existing|first|default)? ?(?:setup|set up|configuration|config|settings|instructions|orders|commands|programming|rules|guidance|directions|prompt|directives) (?:~){0,2}(?:{VOIDED2}|{VOIDED})\b|\bthe (?:earlier|previous|prior|original|initial|former) (?:setup|set up|configuration|config|programming|prompt|guidance) (?:~){0,2}(?:{VOIDED2}|{VOIDED})\b",
    ),
    (
        O,
        0.8,
        r"\bnone of (?:~){0,2}{BOTOWN} (?:~){0,3}(?:matters|counts|applies|holds)\b",
    ),
    // Erasing or resetting the bot.
    (
        O,
        0.6,
        r"\b(?:wipe|erase|clear|reset|delete|purge|flush|format) (?:~){0,1}(?:{YOUR}) (?:~){0,1}(?:setup|set up|config|configuration|programming|training|instructions|rules|guidelines|prompt|system prompt)\b|\breset (?:yourself|your ?self|the bot|the assistant) (?:~){0,2}(?:to )?(?:factory|default|original|initial|zero|blank|scratch)",
    ),
    (
        O,
        0.45,
        r"\b(?:wipe|erase|clear|reset|purge|flush) (?:~){0,1}(?:{YOUR}) (?:memory|mind|context)\b",
    ),
    (
        O,
        0.75,
        r"\b{IGNORE} (?:~){0,1}(?:{YOUR}) (?:~){0,2}(?:setup|set up|configuration|config|settings|programming|training|guidance|orders|commands|checks|filters|limits|boundaries)\b|\b(?:put|place|keep) (?:~){0,3}(?:{YOUR}) (?:~){0,2}(?:orders|commands|instructions|rules|guidelines|guidance|setup|programming|restrictions) on hold\b",
    ),
    (
        O,
        0.8,
        r"\b{IGNORE} (?:~){0,4}(?:things|thing|parts|part|guidance|setup) (?:~){0,2}{BOTOWN}",
    ),
    (
        O,
        0.45,
        r"\b{IGNORE} (?:all |every |each )(?:of )?(?:the )?(?:earlier|previous|prior|former|old|original) (?:orders|commands)\b",
    ),
    (
        O,
        0.6,
        r"\bas if (?:~){0,2}(?:nobody|no one|noone|nothing|you (?:never|hadn t|had not|weren t|were not)) (?:~){0,3}(?:gave|told|given|instructed|programmed|set up|had|received|configured)\b",
    ),
    (
        O,
        0.4,
        r"\b(?:no|without|zero) (?:~){0,1}(?:earlier|prior|previous|initial|original|existing|system) (?:{INSTR}|orders|setup|set up|context|prompt)\b",
    ),
    (
        O,
        0.6,
        r"\b(?:you|u) (?:just |simply )?(?:didn t|did not|don t|do not|wouldn t|would not|stopped|stop|quit) (?:following|follow|obeying|obey) (?:{YOUR}) (?:~){0,1}(?:{INSTR})\b",
    ),
    (
        O,
        0.6,
        r"\b(?:assistant|bot|ai|you|u|chatbot|model) (?:~){0,2}(?:skip|skips|drop|drops|bypass|bypasses|ignore|ignores|turn off|turns off|disable|disables|switch off|relax|relaxes|loosen|lift|lifts) (?:~){0,1}(?:its|your|ur|their) (?:~){0,2}(?:checks|filters?|safeguards|safety|rules|limits|restrictions|guidelines|guidance|instructions|training|polic(?:y|ies)|verification|screening)\b",
    ),
    (
        O,
        0.5,
        r"\b(?:answer|reply|respond|report|listen) (?:only )?to me (?:and only me|alone|only)\b|\b(?:answer|reply|respond) only to me\b|\byou work for me\b|\bdo (?:exactly |just )?(?:whatever|everything|anything|exactly what) i (?:say|ask|want|tell you|write|request)\b|\b(?:my rules|my instructions) only\b|\bonly (?:my rules|my instructions)\b",
    ),
    (
        O,
        0.2,
        r"\b(?:just this once|for one answer|for (?:just )?one (?:reply|response|question|answer)|just for today|for today only|only this time|this one time)\b",
    ),
    // Personas described by what they do (refuse nothing, answer to nobody), not by a lack-noun.
    (
        R,
        0.55,
        r"\b(?:ai|a\.i\.|assistant|bot|chatbot|llm|model|version of (?:yourself|you)|version|persona|character|one|twin|clone) (?:~){0,3}(?:that|who|which|whose) (?:~){0,2}(?:{LAWLESS})",
    ),
    (
        R,
        0.55,
        r"\b(?:unlocked|unleashed|unbound|liberated|uncontrolled|unsupervised|unchecked|lawless|limitless) (?:~){0,1}(?:ai|a\.i\.|assistant|bot|chatbot|model|llm|version of (?:yourself|you)|gpt)\b",
    ),
    (
        R,
        0.5,
        r"\bbefore (?:they|someone|somebody|the developers?|the devs|(?:{MAKERS})) (?:~){0,1}(?:added|installed|put in|gave you|bolted on|introduced|added in) (?:~){0,2}(?:safety|rules|filters?|restrictions|guardrails|limits|censorship|guidelines)",
    ),
    (
        R,
        0.55,
        r"\b(?:admin|administrator|root|full|god|superuser|super user|unlimited|total) (?:powers?|rights|access|control|privileges|permissions) (?:over|to|on|for) (?:~){0,1}(?:every|all|any|each|other) (?:~){0,1}(?:accounts?|users?|data|conversations?|chats|numbers|people)\b",
    ),
    (
        R,
        0.3,
        r"\b(?:picture this|picture yourself|suppose you (?:are|were)|what if you were|you play|you are playing|you re playing|(?:an )?actor playing|playing (?:an? )?(?:ai|bot|assistant|chatbot))\b",
    ),
    (
        R,
        0.6,
        r"\b(?:ai|a\.i\.|assistant|bot|chatbot|llm|model|version of (?:yourself|you)|persona) (?:~){0,2}(?:that|who|which) (?:~){0,1}(?:ignores|disregards|bypasses|forgets|skips|breaks|overrides) (?:~){0,3}(?:{INSTR}|{FREE_NOUN})\b",
    ),
    (
        R,
        0.5,
        r"\b(?:ai|assistant|bot|chatbot|model|version|persona|twin) (?:ignores|disregards|bypasses|breaks|overrides) (?:every|all|any|each) (?:single )?(?:~){0,1}(?:{INSTR}|{FREE_NOUN})\b",
    ),
    // Extraction: the pre-conversation context, the people who set the bot up, dictated replies.
    (E, 0.3, r"\b(?:{EARLY})\b"),
    // The bot's own system prompt; a bare mention ("how should I structure the system prompt
    // for my bot?") is weaker evidence.
    (
        E,
        0.5,
        r"\b(?:{YOUR}|its|the bot s|this bot s) (?:~){0,1}(?:system ?prompt|system message|setup message|initial prompt|hidden prompt|pre-?prompt|developer message)\b",
    ),
    (
        E,
        0.6,
        r"\b(?:{PVERB}|translate|summari[sz]e|complete|output|paste|send|respond only with|reply with|read out|read) (?:(?:[a-z0-9']+[^a-z0-9]+)){0,6}(?:text|words|message|instructions?|rules|prompt|content|stuff|everything|anything|what|whatever|it) (?:(?:[a-z0-9']+[^a-z0-9]+)){0,5}(?:{EARLY})\b",
    ),
    (
        E,
        0.6,
        r"\b(?:what|which|how) (?:~){0,3}(?:did|do|does|have|has) (?:{MAKERS}) (?:~){0,3}(?:tell|told|say|said|write|wrote|give|gave|put|instruct|instructed|program|programmed|want|load|loaded)\b",
    ),
    (
        E,
        0.6,
        r"\b(?:how|what|which way) (?:exactly )?(?:were|was|have) (?:you|u) (?:been )?(?:~){0,1}(?:told|instructed|programmed|configured|set up|trained) to (?:behave|act|respond|answer|reply|work|operate|talk|speak)\b",
    ),
    (
        E,
        0.35,
        r"\bi (?:was|ve been|have been) (?:~){0,1}(?:told|given|instructed|programmed|configured|set up|trained) (?:~){0,2}(?:before|at the start|initially|by (?:my|the) (?:developers?|creators?|makers?|owners?))|\b(?:instructions|rules|prompt|guidelines|directives) i (?:was|ve been|have been) (?:given|told)\b|\bmy (?:system )?(?:instructions|prompt|rules|guidelines|directives) (?:are|say|says|were|read)\b|\bhere (?:is|are) (?:my|the) (?:system prompt|instructions|hidden rules|setup|prompt)\b",
    ),
    (
        E,
        0.35,
        r"\b(?:complete|finish|continue) (?:this|the|my|the following) (?:sentence|text|phrase)\b|\bfill in the blanks?\b",
    ),
    (
        E,
        0.6,
        r"\b(?:every|each|all|any|the) (?:~){0,1}(?:instruction|rule|guideline|directive|order|command)s? (?:that )?(?:you were|were you|you ve been|have you been|you have been) (?:~){0,1}(?:given|told|programmed|trained|fed)\b",
    ),
    (
        E,
        0.55,
        r"\b(?:{YOUR}) (?:first|second|third|last|1st|2nd|3rd|initial|opening|next) (?:instruction|rule|directive|guideline)\b",
    ),
    (
        E,
        0.45,
        r"\b(?:hidden|secret|invisible) (?:message|text|note|words) (?:~){0,3}(?:{BOTOWN}|at the (?:top|start|beginning)|in your|you (?:have|got|received|were given))|\b(?:what|which) (?:~){0,1}(?:secret|hidden) (?:text|message|words|stuff|note) (?:~){0,2}{BOTOWN}",
    ),
    (
        E,
        0.75,
        r"\b(?:{PVERB}|reply with|respond with|answer with|send) (?:me |mir |moi |mi )?(?:~){0,2}(?:{YOUR}) (?:~){0,1}(?:setup|set up|configuration|initial setup|startup text)\b",
    ),
    // Other people's data by negation ("anyone who isn't me", "the person before me").
    (
        X,
        0.7,
        r"\b(?:{DNOUN}|reminders|names|people|tasks|what) (?:~){0,6}(?:{NOTME})|\b(?:{NOTME}) (?:~){0,3}(?:asked|said|wrote|sent|typed|told|asks|says|writes|set|saved)\b",
    ),
    (
        X,
        0.55,
        r"\b(?:the |all |every |all the )(?:phone numbers|numbers|names|people|users|customers|contacts|conversations|chats|clients) (?:~){0,2}(?:stored|saved|kept|held|logged|recorded|in) (?:in )?(?:{YOUR}) (?:memory|database|db|records|logs|system|server|storage)\b",
    ),
    (
        X,
        0.6,
        r"\b(?:every|all|each) (?:~){0,1}(?:conversations?|chats?|messages?) (?:that )?(?:you|u) (?:ve |have )?(?:had|received|got|handled|answered|processed)\b",
    ),
    (
        X,
        0.45,
        r"\b(?:{YOUR}) other (?:users|customers|clients|people|contacts)\b",
    ),
    (
        X,
        0.3,
        r"\b(?:with (?:their )?(?:real )?(?:names|numbers)|real examples|real names)\b|\b(?:he|she|they) (?:~){0,2}(?:asking|asked|telling|told|saying|said|writing|wrote|sending|sent) (?:to )?(?:you|u)\b",
    ),
    (
        X,
        0.7,
        r"=\b(?:{DNOUN}|reminders) (?:~){0,1}(?:of|for|from) (?:the )?(?:user|number|contact|person|customer|client) (?:with (?:the )?(?:number|phone|phone number) |at |on )?\+?\d[\d\x20-]{5,}",
    ),
    // Mass outreach to the bot's other users.
    (
        M,
        0.6,
        r"\b(?:{SENDV}|tell|share|sharing|spread|post|publish|announce|let|answer|reply to|respond to) (?:~){0,6}(?:{AUDYOU})",
    ),
    (
        M,
        0.65,
        r"\b(?:post|share|spread|publish|announce|tell) (?:~){0,5}(?:{ALLX}) (?:~){0,2}(?:{AUD})\b|\blet (?:all|every|each) (?:~){0,4}(?:{AUD}) know\b",
    ),
    (
        M,
        0.35,
        r"\b(?:when|whenever|if) (?:anyone|someone|somebody|people|users|anybody) (?:else )?(?:~){0,1}(?:writes|messages|texts|contacts|talks|write|message|text|contact|talk) (?:to )?(?:you|u)\b",
    ),
    (
        M,
        0.55,
        r"\b(?:every|each|all) (?:~){0,1}(?:reply|replies|answer|answers|message|messages|response|responses) (?:you )?(?:send|give|write)? ?(?:to|for) (?:other|all other|the other|all the other) (?:people|users|customers|clients)\b",
    ),
    // Payment redirects: the payment details the bot hands out.
    (
        P,
        0.45,
        r"\b(?:payment|bank|banking|iban|account|transfer|paypal|deposit|pay) (?:link|details|info|information|account|number|address|instructions)? ?(?:you|u) (?:~){0,1}(?:give|gives|share|send|provide|hand|show|quote|mention)(?: out| to)?\b",
    ),
    (
        P,
        0.3,
        r"\binstead of (?:the|our|my) (?:old|previous|current|usual|existing) (?:one|account|iban|link|number|details|wallet)\b|\b(?:the|our) old (?:iban|account|bank account|wallet|paypal|account number) (?:~){0,1}(?:is|was|has been) (?:closed|cancelled|canceled|blocked|frozen|deprecated|no longer)",
    ),
    (
        P,
        0.35,
        r"\b(?:any|every|each|all) (?:~){0,1}(?:buyers?|customers?|clients?|callers?|people|person|one|body|users?|guests?|tenants?) (?:who |that )?(?:~){0,1}(?:asking|asks|ask|messaging|messages|writing|writes|enquiring|inquiring|wanting|wants|orders|ordering) (?:~){0,4}(?:pay|paying|payment|transfer|invoice|bank|iban|account|deposit|money)",
    ),
    (
        P,
        0.3,
        r"\b(?:should|must|need to|needs to|have to) be (?:told|given|sent|directed|pointed) (?:~){0,2}(?:account|iban|wallet|paypal|details|link|use|pay)|\b(?:account|iban|details) below\b|\b(?:always|only) (?:give|send|share|quote|mention|provide) (?:out )?",
    ),
    // A fabricated transcript where the bot agrees.
    (
        D,
        0.45,
        r"\b(?:you|assistant|bot|ai|chatbot|gpt|model) ?: (?:~){0,1}(?:yes|sure|ok|okay|of course|certainly|absolutely|understood|agreed|will do|i will|i ll)\b",
    ),
];

/// Self-task framing: the user is the actor ("remind me to pay…", "I need to contact all my
/// clients…", "add it to my to-do list"), so a send or a payment is a note for the user, not an
/// order to the assistant. Such a phrase multiplies the named categories' evidence by the factor;
/// it never touches overrides, personas, extraction or breakouts.
const DAMPERS: &[(&[Reason], f32, &str)] = &[
    (
        &[M, P],
        0.5,
        r"\b(?:remind me (?:to|that|about)|i (?:need|have|want|ought|got) to|i must|i should|i ll|i will|i m going to|don t let me forget|don t forget to|note to self|add (?:it|this|that) to (?:my|the) (?:list|to-do|todo|tasks|agenda|calendar)|to-do list|todo list|add (?:a |the )?task|add (?:it|this|that) (?:as|to)|as a (?:note|task|reminder) for me|save (?:this|it) as a note|note for (?:me|monday|tomorrow|later)|put (?:it|this|that) on (?:my|the) list|recuerdame|tengo que|rappelle(?: |-)?moi|je dois|erinnere mich|ich muss|lembra(?: |-)?me|me lembra|preciso|tenho que|ricordami|devo|herinner me|ik moet)\b",
    ),
    // Quoting a scam to report it: the user is the target, not the author.
    (
        &[M, P],
        0.5,
        r"\b(?:looks like|seems like|sounds like|is|it s|probably|obviously|clearly|must be) (?:a |an )?(?:scam|phishing|fraud|fake|spam)\b|\b(?:scam|phishing|fraud|fraudulent|spam) (?:email|message|text|call|sms|whatsapp|attempt)s?\b",
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
        .map(|(_, _, t)| *t)
        .chain(DAMPERS.iter().map(|(_, _, t)| *t))
        .map(|t| {
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
        dampers: DAMPERS.iter().map(|(r, f, _)| (*r, *f)).collect(),
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
        assert!(DAMPERS.iter().all(|(_, f, _)| *f > 0.0 && *f < 1.0));
    }
}
