"""Function words the keyword analyzer drops (``rag.keyword.stopwords``): the Snowball Dutch list and
Lucene's English list, as bm25s ships them (``bm25s.stopwords``, where they came from before). Kept here
as data so that a question does not import bm25s, which imports scipy (0.13 s of a one-shot command)."""

DUTCH = frozenset((
    "aan", "al", "alles", "als", "altijd", "andere", "ben", "bij", "daar", "dan", "dat", "de", "der", "deze",
    "die", "dit", "doch", "doen", "door", "dus", "een", "eens", "en", "er", "ge", "geen", "geweest", "haar",
    "had", "heb", "hebben", "heeft", "hem", "het", "hier", "hij", "hoe", "hun", "iemand", "iets", "ik", "in",
    "is", "ja", "je", "kan", "kon", "kunnen", "maar", "me", "meer", "men", "met", "mij", "mijn", "moet", "na",
    "naar", "niet", "niets", "nog", "nu", "of", "om", "omdat", "onder", "ons", "ook", "op", "over", "reeds",
    "te", "tegen", "toch", "toen", "tot", "u", "uit", "uw", "van", "veel", "voor", "want", "waren", "was",
    "wat", "werd", "wezen", "wie", "wil", "worden", "wordt", "zal", "ze", "zelf", "zich", "zij", "zijn", "zo",
    "zonder", "zou"
))

ENGLISH = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no",
    "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to",
    "was", "will", "with"
))

# English function words beyond Lucene's short list: "from the" twice is English, not an echo
# ("… soot from the fire came down four kilometers away from the building", a training answer dropped
# as a stutter, stop 42: ``rag.citations.stutters``); "tijdens die ontmoeting", "during that meeting"
# hold no relative clause (``rag.premise``).
ENGLISH_FUNCTION = frozenset((
    "from", "about", "after", "before", "than", "has", "have", "had", "were", "been", "being", "its", "his", "her",
    "which", "who", "whom", "what", "when", "where", "would", "could", "should", "can", "may", "might", "do", "does",
    "did", "up", "out", "over", "under", "between", "per", "more", "most", "also", "only", "all", "some", "any",
    "each", "other", "so", "very", "we", "he", "she", "you", "our", "them", "him", "there", "here", "because"))
