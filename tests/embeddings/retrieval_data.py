"""A small, deliberately confusable mixed-language retrieval set.

Query ``i`` is answered by passage ``i``. Passages come in topical pairs (two
Japanese landmarks, two rice dishes, two plant processes, two Python
containers) and most queries are in a different language from their passage,
so lexical overlap does not decide the ranking.
"""

PASSAGES = [
    "Mount Fuji is the highest mountain in Japan, rising 3,776 metres on Honshu.",
    "東京スカイツリーは高さ634メートルの電波塔で、2012年に開業しました。",
    "La paella es un plato de arroz originario de Valencia que suele llevar azafrán.",
    "Il risotto alla milanese è un piatto di riso cotto lentamente nel brodo con lo zafferano.",
    "Die Photosynthese wandelt Lichtenergie in chemische Energie um; dabei entsteht Sauerstoff.",
    "La respiration cellulaire libère de l'énergie en consommant de l'oxygène et du glucose.",
    "Python tuples are immutable, so they can be used as dictionary keys.",
    "Python lists are mutable sequences that grow with append and shrink with pop.",
]
QUERIES = [
    "日本で一番高い山はどこですか",
    "How tall is the Tokyo Skytree?",
    "¿De qué ciudad viene la paella?",
    "Which Italian rice dish is cooked slowly in broth?",
    "How do plants produce oxygen from light?",
    "Comment les cellules libèrent-elles de l'énergie ?",
    "can I use an immutable sequence as a dict key",
    "Python: añadir y quitar elementos de una secuencia mutable",
]
