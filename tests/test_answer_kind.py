"""What kind of answer a question asks for, and whether a sentence can give it (rag.answer_kind)."""

import pytest

from rag.answer_kind import asks_for, asks_why, gives_reason, holds, keeps, next_holds
from rag.decide import lacks_answer


@pytest.mark.parametrize("question, kind", [
    ("Hoe laat ging de staking in?", "time"),
    ("At what time did the KNMI record the highest temperature?", "time"),
    ("Hoe lang kon de spoedeisende hulp geen patiënten opnemen?", "duration"),
    ("How long is Xi's visit to Russia scheduled to last?", "duration"),
    ("Hoeveel dagen duurde de hittegolf?", "duration"),  # a count of days asks how long
    ("Binnen welke termijn wil de minister een akkoord?", "duration"),
    ("Hoeveel dollar zegde Blinken de regio toe?", "number"),
    ("How many scheduled surgeries were called off?", "number"),
    ("What percentage of the trains did not run?", "number"),
    ("Op welke dag ging de spoedeisende hulp weer open?", "day"),
    ("On which day did the strike take place?", "day"),
    ("In welk jaar is de C5+1 opgericht?", "day"),
    ("Hoe heet de hackersgroep?", "name"),
    ("What is the name of the security camera supplier?", "name"),
    ("Wie ontdekte de aanval?", None),  # "a system administrator of the night shift" answers who
    ("Waarom betaalde het ziekenhuis geen losgeld?", None),
    ("Wanneer is de C5+1 opgericht?", None),  # "when" may be answered by an event: not checked
    ("Tot wanneer kunnen bewoners nieuwe schade melden?", "until"),  # a date, or the event that ends it
    ("Until when will Vitens keep up its appeal?", "until"),
    ("Since when have the fens been empty?", "until"),
    ("En sinds wanneer groeien zijn aardappelen niet meer?", "until"),
    ("Was turnout affected by when the vote was held?", None),  # "by when" inside a sentence asks no date
    ("What did Biden call Putin?", None),
    ("Wat zei Tleuberdi over de sancties?", "said"),  # words someone said
    ("What did Qin Gang say at the G20 meeting in India?", "said"),
    ("What did she tell reporters?", "said"),
    ("Wat zegt het artikel over de schade?", None),  # what the article holds, not someone's words
    ("What does the article say about the flood?", None),
    ("Hoe reageerde China op het arrestatiebevel?", None),  # a deed may answer: "deed het af als …"
    ("Wat zegt de wet over gezichtsherkenning?", None),  # a text's content (found in review)
    ("Wat zeggen de cijfers?", None),
    ("Wat zegt dat over de economie?", None),
    ("What does the EU AI Act say about chatbots?", None),
    ("What did the study say?", None),
    ("Wat zei de minister over de boeren?", "said"),  # a role is someone
])
def test_a_question_word_says_what_kind_of_answer_is_asked(question, kind):
    assert asks_for(question) == kind


@pytest.mark.parametrize("kind, sentence, ok", [
    ("time", "De aanval werd om 03.40 uur ontdekt.", True),
    ("time", "Vanaf vier uur 's nachts reden er geen treinen.", True),
    ("time", "De aanval werd ontdekt door een systeembeheerder.", False),
    ("duration", "De spoedeisende hulp kon drie dagen lang geen patiënten opnemen.", True),
    ("duration", "The strike lasted 24 hours.", True),
    ("duration", "Xi brengt een driedaags staatsbezoek aan Moskou.", True),
    ("duration", "De club tekende een tweejarig contract met de spits.", True),
    ("duration", "Xi arrives in Moscow for a three-day state visit.", True),
    ("duration", "„Naar Vledderhorst is het met de buurtbus drie kwartier.", True),
    ("duration", "Het driehoeksoverleg werd hervat.", False),
    ("duration", "Het ziekenhuis is getroffen door een ransomware-aanval.", False),
    ("number", "In totaal werden 214 operaties uitgesteld.", True),
    ("number", "Honderden mensen wachtten op bussen.", True),
    ("number", "Het ziekenhuis heeft geen losgeld betaald.", True),  # none is a number too
    ("number", "De haven van Rotterdam verwerkte meer containers dan ooit.", False),
    ("day", "Donderdag 18 september ging de spoedeisende hulp weer open.", True),
    ("day", "De C5+1 is in 2015 opgericht.", True),
    ("day", "De spoedeisende hulp ging weer open.", False),
    ("until", "Het loket blijft open tot de zomer.", True),  # an end that is no date
    ("until", "De weg blijft dicht tot de nieuwe brug klaar is.", True),
    ("until", "Het loket is tot 1 januari 2026 open.", True),
    ("until", "Bewoners kunnen schade melden bij het loket.", False),
    ("day", "A spring near Ede dried up.", False),  # a season is no day
    ("said", "„We letten er goed op”, aldus Blinken.", True),
    ("said", "Volgens Meulenberg moet Limburg meer ruimte geven aan water.", True),
    ("said", "Hoekstra vreest dat kleine bedrijven de kosten niet kunnen dragen.", True),
    ("said", "The minister said the plan was final.", True),
    ("said", "Deze week vergaderen de ministers in India, waar ook Qin Gang zal zijn.", False),
    ("said", "Chinese staatsmedia vonden dat het Westen te weinig oog had voor de vrede.", True),  # any form
    ("said", "Het kabinet meent dat het kan.", True),
    ("said", "Hij kondigde nieuwe maatregelen aan.", True),
    ("said", "Lavrov claimed the West was to blame.", True),
    ("said", "Zo’n plan kost China’s economie veel.", False),  # apostrophes are no quotation
    # a sentence of a quotation of several: only its first or last has a quotation mark
    ("said", "„Grote Amerikaanse techbedrijven hebben hele afdelingen vol juristen.", True),
    ("said", "Wij hebben er nul.”", True),
    ("said", "“Then we will have to rebuild an entire valley.", True),
    ("said", "De bus rijdt „noodverband” heen.", True),  # both marks: a quotation as before
    # single marks around one word are scare quotes, not anyone's words
    ("said", "Het wordt voor India nog een hele toer, het traditionele ‘product’ van een top als deze.", False),
    ("said", "Vorige week presenteerde China nog een ‘vredesplan’.", False),
    ("said", "Blinken uitte daarbij scherpe kritiek op het ‘agressieve’ optreden van China.", True),  # criticism voiced
    ("said", "De patiënt is in kritieke toestand.", False),  # whole words only
    ("said", "Het bedrijf wil de software eerst uittesten.", False),
    ("said", "Tegenwicht tegen wat de staatskrant de ‘Amerikaanse trammelantmakerij’.", True),  # two words
    ("said", "De bus rijdt elke week naar Eexterwolde.", False),
    ("said", "Het scherm meet 27\".", False),  # an inch mark
])
def test_a_sentence_holds_an_answer_of_the_kind_or_not(kind, sentence, ok):
    assert holds(kind, sentence) is ok


def test_a_name_is_a_capitalised_word_the_question_lacks_or_a_quoted_term():
    question = "Hoe heet de systeembeheerder die de aanval in Zutphen ontdekte?"
    assert not holds("name", "De aanval werd ontdekt door een systeembeheerder van de nachtdienst.", question)
    assert not holds("name", "In Zutphen ontdekte een systeembeheerder de aanval.", question)  # Zutphen was asked
    assert holds("name", "De aanval werd ontdekt door systeembeheerder Pieter de Vries.", question)
    assert holds("name", "De groep noemt zich „Zwarte Zon”.", "Hoe heet de groep?")


def test_a_sentence_lacks_the_answer_unless_it_holds_the_kind_or_may_deny_it():
    assert lacks_answer("Hoeveel containers verwerkte de haven?", "De haven verwerkte meer containers dan ooit.")
    assert not lacks_answer("Hoeveel containers verwerkte de haven?", "De haven verwerkte 14 miljoen containers.")
    assert not lacks_answer("Wat verwerkte de haven?", "De haven verwerkte meer containers dan ooit.")  # no kind
    # "until when" wants the day it ends: the sentence that only says where to report cannot answer
    assert lacks_answer("Tot wanneer kunnen bewoners nieuwe schade melden?",
                        "Bewoners kunnen nieuwe schade melden bij het loket van het IMG.")
    assert not lacks_answer("Tot wanneer kunnen bewoners nieuwe schade melden?",
                            "Het loket voor nieuwe schade blijft open tot 1 januari 2026.")
    # a denial may correct the question's premise ("how long will the second strike last?")
    assert not lacks_answer("Hoe lang gaat de tweede staking duren die de bond heeft aangekondigd?",
                            "Verbeek sloot een tweede, langere staking niet uit.")
    assert lacks_answer("Hoe lang gaat de tweede staking duren die de bond heeft aangekondigd?",
                        "Verbeek sloot een tweede, langere staking uit.")


def test_a_sentence_that_only_places_someone_lacks_what_he_said():
    question = "What did Qin Gang say at the G20 meeting in India?"
    assert lacks_answer(question, "Deze woensdag vergaderen de ministers van de G20 in India, waar ook de Chinese "
                                  "minister Qin Gang zal zijn.")
    assert not lacks_answer(question, "„Wij kiezen geen kant”, zei Qin Gang in India.")


def test_a_denial_of_something_else_lacks_the_answer_as_any_sentence_does():
    # what it denies ("bevestigd", "keus") is nothing the question asks: no correction, judged no more
    assert lacks_answer("Hoe heet de hackersgroep die beweert data te hebben gestolen?",
                        "Een hackersgroep beweert dat zij data heeft gestolen, maar dat is nog niet bevestigd.")
    assert lacks_answer("Hoe laat ging de staking in?", "„Deze staking is geen doel op zich, maar NS laat ons geen keus.”")
    assert not lacks_answer("Hoeveel doden vielen er in Limburg?", "In Limburg vielen er geen doden.")
    # across languages words cannot tell what is denied: the denial is judged
    assert not lacks_answer("What time did Bram Oosterhof skate in the 1500 metres?",
                            "Bram Oosterhof nam niet deel aan het toernooi vanwege een rugblessure.")


@pytest.mark.parametrize("question, kind", [
    ("Van welke politieke partij is wethouder Hofstede?", "named"),
    ("Which university did she move to?", "named"),
    ("In welk land zit het strafhof?", "named"),
    ("Welke vakbladen hebben de artikelen ingetrokken?", "named"),
    ("Which research firm is carrying out the evaluation?", "named"),
    ("Welke partij D66 steunde het plan?", None),  # the name is given
    ("What kind of company is it?", None),
    ("Welke maatregelen nam de regering?", None),  # measures are no names
    ("Which sanctions did the US impose?", None),
    ("Which court ruling was appealed?", None),  # an English class word that qualifies a noun (review)
    ("Which court rulings were appealed?", None),
    ("Which company makes the vaccine?", "named"),
    ("What caused the bank to collapse?", None),
    ("Which court rejected the objection?", "named"),
    ("Welke bank ging failliet?", "named"),  # Dutch writes "bankrekening" as one word
])
def test_a_question_for_a_party_a_country_a_company_asks_for_a_name(question, kind):
    assert asks_for(question) == kind


def test_a_name_for_a_named_thing_is_new_to_the_question_and_may_open_the_sentence():
    question = "Welk land leverde de wapens aan Rusland?"
    assert holds("named", "China leverde de wapens aan Rusland.", question)  # the first word is a name too
    assert not holds("named", "De wapens aan Rusland werden vorig jaar geleverd.", question)
    assert not holds("named", "In maart werden de wapens geleverd.", question)  # a month is no name
    question = "Welke vakbladen hebben de artikelen van Olthof ingetrokken?"
    assert not holds("named", "Van de 37 besmette artikelen zijn er 26 door de tijdschriften ingetrokken.", question)
    assert holds("named", "Het tijdschrift Voeding Nu trok 12 artikelen van Olthof in.", question)
    # "Universiteit van Harderwold" is no new name for a question about Harderwold; "Poetin Xi" holds one
    assert holds("named", "Maar vandaag heeft Poetin Xi vooral nodig.", "Welk land heeft Poetin nodig?")
    question = "Bij welke universiteit werkt Olthof nu, na zijn ontslag in Harderwold?"
    assert not holds("named", "De Universiteit van Harderwold heeft Maarten Olthof ontslagen.", question)
    assert holds("named", "Olthof werkt nu aan de Universiteit Twente.", question)
    assert holds("named", "Hij werkt nu in het buitenland.", question)  # a pronoun: named before
    assert holds("named", "De bond noemt zich „samen sterk”.", "Welke vakbond …?")  # a quoted name
    assert not holds("named", "De bond noemt zich een vakbond voor iedereen.", "Welke vakbond …?")
    # a party or an acronym before the name asked about is a name of its own
    assert holds("named", "VVD-wethouder Hofstede zei dat het plan doorgaat.", "Van welke partij is wethouder Hofstede?")
    assert not holds("named", "Oud-wethouder Hofstede zei dat het plan doorgaat.", "Van welke partij is wethouder Hofstede?")
    assert lacks_answer("Van welke partij is burgemeester Vissers?", "Burgemeester Vissers sprak de raad toe.")
    assert not lacks_answer("Van welke partij is burgemeester Vissers?", "Burgemeester Vissers (CDA) sprak de raad toe.")


PRICE = "Dat zei woordvoerder Ned Price van het State Department woensdag."


@pytest.mark.parametrize("question, said, source, kept", [
    ("Wie is de woordvoerder van het State Department?", ["De woordvoerder van het State Department zei dat."], PRICE, False),
    ("Wie is de woordvoerder van het State Department?", ["Het is Ned Price."], PRICE, True),
    ("Who did Biden call a murderer?", ["Biden called Putin a murderer."], "Biden noemde Poetin een moordenaar.", True),
    ("Who did Biden call a murderer?", ["Biden called him a murderer."], "Biden noemde Poetin een moordenaar.", False),
    ("Wie zei dat?", ["Hij zei het."], "Hij zei het tegen de pers.", True),  # the sentence names no one either
    ("Hoeveel geld zegde Blinken toe?", ["Blinken zegde extra geld toe."], "Blinken zegde 25 miljoen dollar toe.", False),
    ("How much did Blinken pledge?", ["He pledged 25 million dollars."], "Blinken zegde 25 miljoen dollar toe.", True),
    ("Hoe laat begon de staking?", ["De staking begon vroeg."], "De staking begon om 04.00 uur.", False),
    ("Waarom staakte het personeel?", ["Het personeel wil meer loon."], "Het personeel wil 5 procent meer.", True),
    # what someone said may be worded without "zei": kept
    ("Wat zei Haverkamp?", ["Gezinsbedrijven gaan kapot."], "„Gezinsbedrijven gaan kapot”, zei Haverkamp.", True),
])
def test_a_wording_keeps_the_answer_its_sentence_holds(question, said, source, kept):
    assert keeps(question, said, source) is kept


@pytest.mark.parametrize("question, why", [
    ("Waarom heeft Poetin Xi nodig?", True), ("Why does Vitens not introduce a ban?", True),
    ("What was the reason for the ban?", True), ("Hoe komt het dat de druk daalt?", True),
    ("Wat zei Poetin over Xi?", False), ("Who needs Xi?", False),
    ("Wat zijn de redenen voor het verbod?", True), ("What are the reasons for the ban?", True),
    ("Hoe komt het kabinet aan dat geld?", False),  # "hoe komt het" asks why only with "dat"
])
def test_a_question_for_a_reason_is_recognised(question, why):
    assert asks_why(question) is why


@pytest.mark.parametrize("sentence, reason", [
    ("Moskou riep zijn ambassadeur terug, nadat Biden Poetin een ‘moordenaar’ had genoemd.", True),
    ("The club lost three points because of a deficit.", True),
    ("Maar vandaag heeft Poetin Xi vooral nodig.", False),
    ("Daarom moet de provincie Utrecht de grens van dat netwerk verleggen.", False),  # points back to a reason
])
def test_a_sentence_that_gives_a_reason_of_its_own(sentence, reason):
    assert gives_reason(sentence) is reason


def test_a_number_the_question_names_is_not_the_number_it_asks_for():
    question = "Hoeveel stemmen kreeg het VVD-amendement om 2800 woningen te bouwen?"
    assert not holds("number", "Een amendement van de VVD om het aantal woningen te verhogen tot 2800 haalde het niet.", question)
    assert holds("number", "Het amendement kreeg 12 stemmen.", question)
    turbines = "Hoeveel verder van het dorp zijn de twee noordelijkste turbines gezet?"
    assert not holds("number", "Mulder vroeg om de twee noordelijkste turbines verder van het dorp te plaatsen.", turbines)
    assert holds("number", "Ze kwamen op 880 meter.", turbines)
    assert holds("number", "Alle 27 lidstaten stemden voor.", "Hoeveel van de 27 lidstaten stemden voor?")  # "alle"
    assert holds("number", "Het kostte 2800 euro.", "Hoeveel kostte het?")  # a question without numbers: as before
    assert not holds("number", "Het amendement wilde tot 2.800 woningen.", question)  # "2.800" is 2800
    assert not holds("number", "Het plan van 1,5 miljoen euro viel.", "Wie betaalt het plan van 1,5 miljoen euro?")
    assert holds("number", "De stad krijgt 300.000 euro.", "Hoeveel krijgt de stad van het plan van 1,5 miljoen euro?")


@pytest.mark.parametrize("question, sentence, following, holds", [
    ("Wat kosten de verkeersregelaars bij de rotonde Hoge Dijk?",
     "Sindsdien staan er op schooldagen tussen 7.30 en 8.30 uur verkeersregelaars bij de rotonde.",
     "Dat kost de gemeente 2.400 euro per week.", ["money"]),
    ("Which court rejected the Kadewijk residents' objection to the permit, and when?",
     "Bewonersvereniging Kadewijk had bezwaar gemaakt tegen de vergunning.",
     "De rechtbank Gelderland wees dat bezwaar in december 2025 af.", ["date"]),  # its first word may be a name
    ("Wie volgde Marloes van Dijk op als wethouder?",
     "Marloes van Dijk was toen al vertrokken.", "Haar opvolger als wethouder is Ruud Hendriks.", ["name"]),
    ("What happened at the Hoge Dijk roundabout in May 2026?", "Intussen blijft de rotonde Hoge Dijk een zorgenkind.",
     "In mei raakte een scholiere daar zwaargewond.", ["calendar"]),
    # the chosen sentence holds it already: nothing to add
    ("Wat kost de brug?", "De brug kost 14,8 miljoen euro.", "Dat betaalt de provincie voor 6 miljoen euro.", []),
    ("Wie volgde Van Dijk op?", "Ruud Hendriks volgde Van Dijk op.", "Hij was eerder raadslid voor de VVD.", []),
    # the next sentence does not hold it either
    ("Wat kosten de verkeersregelaars?", "Er staan verkeersregelaars bij de rotonde.", "De school is blij.", []),
    # "when" in a clause asks no date; "what did alderman Donkers promise" asks no name
    ("How many households was the wind farm to supply when it was approved?", "Er komen negen windturbines.",
     "Eind 2026 leveren ze hun eerste stroom.", []),
    ("What did alderman Donkers promise about the fee?", "Donkers beloofde dat de prijs gelijk blijft.",
     "Vorig jaar trok De Wielen 186.000 bezoekers.", []),
    # the review's misreadings: a name as the first word, a relative "who", money words that ask no
    # amount, a month inside a word, a modal "what will the company …", a "when" clause, counts that
    # look like years, an amount without a currency, a why question that asks no amount
    ("Wie volgde Van Dijk op als wethouder?", "Hendriks volgde Van Dijk op als wethouder.",
     "Hij was eerder raadslid voor de VVD.", []),
    ("How many people who live near the roundabout were hurt?", "Drie omwonenden raakten gewond.",
     "Zij liggen in het ziekenhuis in Zwolle.", []),
    ("Wie betaalt de verkeersregelaars?", "De verkeersregelaars worden betaald door de gemeente.",
     "Dat kost 2.400 euro per week.", []),
    ("Wat vinden bewoners van betaald parkeren?", "Bewoners zijn boos.", "Een vergunning kost 80 euro.", []),
    ("Wat gebeurde er in mei bij de rotonde?", "Bij de rotonde gebeurde een ongeluk met een fietser.",
     "Een meisje van twaalf raakte gewond.", []),
    ("What will the company pay the victims?", "Het bedrijf betaalt de slachtoffers.", "Zij krijgen 750 euro.", []),
    ("When the storm hit, how many homes lost power?", "Duizend huizen zaten zonder stroom.",
     "Dat was op 3 maart 2024.", []),
    ("Wanneer ging de brug open?", "De brug ging vorige maand open.", "De bouw kostte 2000 uur werk.", []),
    ("Hoeveel kostte de brug?", "De brug kostte uiteindelijk vier ton.", "De provincie betaalde 200.000 euro.", []),
    ("Waarom stijgen de kosten van de jeugdzorg?", "De kosten stijgen omdat meer kinderen hulp krijgen.",
     "Het gaat om 1,2 miljard euro.", []),
    ("Wie leidt het secretariaat van de C5+1?", "De club kent een secretariaat en werkgroepen.",
     "Maar voor de VS is deelname vooral een gebaar.", []),  # someone's name is two words or more
    # the second review's: a capitalised word opening a phrase is no name, a date of the chosen sentence's
    # own ("volgend jaar", "dinsdagavond"), a month named as context, a role whose holder the question
    # names, "hoeveel" + a plural noun
    ("Wie leidt het secretariaat?", "De club kent een secretariaat.", "Op Schiphol is het druk.", []),
    ("Wie leidt het secretariaat?", "De club kent een secretariaat.", "Volgens Reuters gaat het om een diplomaat.", []),
    ("Wanneer gaat de brug open?", "De brug gaat volgend jaar open.", "De bouw begon in 2019.", []),
    ("Wanneer gaat de brug open?", "De brug werd dinsdagavond geopend.", "De bouw begon in 2019.", []),
    ("Hoeveel mensen kwamen in juli naar het festival?", "Het festival trok 40.000 bezoekers.",
     "In juli volgt een tweede editie.", []),
    ("Wat besloot de gemeenteraad in mei over de brug?", "De raad stemde dinsdag in met de bouw.",
     "Eind mei begint de aanbesteding.", []),
    ("Welke maatregelen kondigde minister Keijzer aan?", "Minister Keijzer kondigt strengere regels aan.",
     "De Tweede Kamer debatteert er donderdag over.", []),
    ("Hoeveel huizen zijn minder waard geworden?", "Veel huizen daalden in waarde.", "Het gaat om 20 miljoen euro.", []),
    # and what it reads right
    ("Wie volgde Van Dijk op als wethouder?", "Van Dijk keerde niet terug.", "Haar opvolger is Ruud Hendriks.", ["name"]),
    ("Which company will build the bridge, and when will it open?", "De raad koos een aannemer.",
     "Van Gelder-Ooms Infra begint in september 2025.", ["name", "date"]),
    ("Hoeveel geld is er gereserveerd om huizen te isoleren?", "Het vliegveld isoleert 1.250 woningen.",
     "Daarvoor is 9 miljoen euro gereserveerd.", ["money"]),
])
def test_the_next_sentence_holds_what_the_chosen_one_lacks(question, sentence, following, holds):
    assert next_holds(question, sentence, following) == holds
