"""Question templates. TRAIN_* feed the training data; EVAL_* are written apart, in other words, and never trained on.

{c} is the country as the user writes it, {cap} a capital. build_data.py checks that no evaluation template equals a
training one and that no evaluation question equals a training question.
"""

TRAIN = {
    "capital": [
        "What is the capital of {c}?", "What's the capital of {c}?", "Capital of {c}?", "{c} capital",
        "capital of {c}", "Tell me the capital of {c}.", "Which city is the capital of {c}?",
        "What city is the capital of {c}?", "Name the capital of {c}.", "Do you know the capital of {c}?",
        "Could you tell me what the capital of {c} is?", "Can you tell me the capital of {c}, please?",
        "What is {c}'s capital?", "What's {c}'s capital city?", "{c}: what is its capital?",
        "Where is the seat of government of {c}?", "In which city is the government of {c}?",
        "What is the capital city of {c}?", "I need the capital of {c}.", "Please give me the capital of {c}.",
        "the capital of {c} is?", "{c} - capital city?", "Which city serves as the capital of {c}?",
        "I'm travelling to {c} next month. What is the capital there?", "I'm flying to {c}. Which city is its capital?",
        "My friend lives in {c}. What's the capital of that country?",
        "For a school project on {c}: what is its capital?", "Quiz question: capital of {c}?",
        "Remind me, what's the capital of {c}?", "Which city is {c}'s capital?", "Tell me {c}'s capital.",
        "capital city of {c}?", "What is the name of the capital of {c}?", "What's the capital city of {c} called?",
        "I'm visiting {c}. Which city is the capital?",
    ],
    "continent": [
        "Which continent is {c} in?", "What continent is {c} on?", "On which continent is {c}?", "Where is {c}?",
        "Where is {c} located?", "{c} continent", "continent of {c}?", "In what continent can I find {c}?",
        "Which part of the world is {c} in?", "Tell me the continent of {c}.", "Which continent does {c} belong to?",
        "What continent does {c} lie in?", "Name the continent where {c} is.",
        "Can you tell me which continent {c} is on?", "I'm travelling to {c}. Which continent is that on?",
        "Where in the world is {c}?", "Which continent is home to {c}?", "{c} is on which continent?",
        "What is the continent of {c}?", "Could you tell me where {c} lies?",
        "Do you know which continent {c} is part of?", "quick one: {c}, which continent?",
        "Is {c} in {x} or in {y}?", "Is {c} in {x}?", "Which continent should I look at on a map to find {c}?",
    ],
    "currency": [
        "What is the currency of {c}?", "What currency does {c} use?", "What money do they use in {c}?",
        "Which currency is used in {c}?", "{c} currency", "currency of {c}?", "What's the official currency of {c}?",
        "What do people pay with in {c}?", "What money should I bring to {c}?",
        "I'm travelling to {c}. What currency do they use there?", "Tell me the currency of {c}.",
        "Name the currency of {c}.", "What is the local currency in {c}?", "Which money is legal tender in {c}?",
        "What's {c}'s currency?", "Can you tell me what currency {c} has?", "What kind of money is used in {c}?",
        "Do you know the currency of {c}?", "I need to exchange money for {c}. Which currency?",
        "Which currency should I get before visiting {c}?", "What's the money called in {c}?",
        "{c} uses which currency?", "What currency is spent in {c}?", "Please tell me the currency used in {c}.",
    ],
    "languages": [
        "What languages are spoken in {c}?", "What language do they speak in {c}?", "Which language is spoken in {c}?",
        "{c} languages", "language of {c}?", "What is the official language of {c}?",
        "What are the main languages of {c}?", "What do people speak in {c}?",
        "Which languages do people in {c} speak?", "I'm travelling to {c}. What language should I learn?",
        "Tell me the languages of {c}.", "What's spoken in {c}?", "Name the main language of {c}.",
        "Can you tell me what language is spoken in {c}?", "What language is used in {c}?",
        "What's the national language of {c}?", "What languages does {c} have?",
        "Do you know which languages are spoken in {c}?", "In {c}, what language do people use?",
        "What language would I hear in {c}?", "Please tell me the main languages spoken in {c}.",
    ],
    "country_of_capital": [
        "Which country has {cap} as its capital?", "{cap} is the capital of which country?",
        "What country is {cap} the capital of?", "Where is {cap}?", "{cap} is in which country?",
        "Which country's capital is {cap}?", "In which country is {cap}?", "{cap} capital of", "{cap}: which country?",
        "Tell me which country has the capital {cap}.", "Of which country is {cap} the capital?",
        "I'm flying to {cap}. Which country is that in?", "Which nation has {cap} as its capital city?",
        "What country is {cap} in?", "Do you know which country {cap} is the capital of?",
        "{cap} is the capital city of what country?", "Name the country whose capital is {cap}.",
        "Can you tell me where {cap} is?", "What country has its capital in {cap}?",
    ],
}

EVAL = {
    "capital": [
        "I've always wondered which city is the capital of {c}.", "Hey, any idea what {c}'s capital is called?",
        "If I visit {c}, which city is the capital I should see?", "{c}'s capital, which one is it?",
        "Could you name {c}'s capital city for me?", "What city does {c} have as its capital?",
        "Planning a trip to {c}: which city is the capital?", "Help me out: {c}, capital?",
        "What's the capital over in {c}?", "Tell me, what is the capital city in {c}?",
    ],
    "continent": [
        "Which continent would I fly to if I went to {c}?", "{c} is located on what continent?",
        "What continent is the country of {c} part of?", "Tell me where {c} is on the globe.",
        "Hey, which continent has {c} in it?", "Can you say which continent {c} sits on?",
        "My cousin moved to {c}. What continent is that?", "Name {c}'s continent please.",
        "In which continent is the country {c}?", "Help me out: {c}, what continent?",
    ],
    "currency": [
        "Before my trip to {c}, which currency should I change my cash into?",
        "How do people pay for things in {c}, what's the currency?", "What notes and coins do they use in {c}?",
        "Could you let me know {c}'s currency?", "{c}, what's the currency there?", "Which currency will I need in {c}?",
        "What is the monetary unit of {c}?", "Heading to {c} soon: what money do they have?",
        "What currency circulates in {c}?", "Which currency do shops in {c} accept?",
    ],
    "languages": [
        "If I move to {c}, which language will I need?", "What languages do the people of {c} mainly use?",
        "Could you list the main languages in {c}?", "{c}, what do they speak there?",
        "Which language should I practise before visiting {c}?", "What is the primary language in {c}?",
        "Which languages are most common in {c}?", "Tell me what people speak over in {c}.",
        "What language do locals in {c} talk in?", "Hey, what language is it in {c}?",
    ],
    "country_of_capital": [
        "I just landed in {cap}. Which country am I in?", "Which country is governed from {cap}?",
        "{cap}, the capital of what nation?", "Could you tell me the country {cap} is the capital of?",
        "Whose capital is {cap}?", "My pen pal writes from {cap}; which country is that?",
        "Which country's capital city is called {cap}?", "Hey, {cap} is the capital of where?",
        "What nation calls {cap} its capital?", "Tell me the country with {cap} as capital.",
    ],
}

# Polite openers, closers and context the training questions are wrapped in (evaluation uses its own lists).
TRAIN_PREFIXES = ["Hi! ", "Hello. ", "Hey, ", "Quick question: ", "Excuse me, ", "Good morning! ", "Question: ",
                  "Help please: ", "Hi there. ", "Sorry to ask, but "]
TRAIN_SUFFIXES = [" Thanks!", " Thank you.", " Please.", " Thanks in advance.", " :)", " Cheers."]
EVAL_PREFIXES = ["Hello there! ", "Hey you, ", "Okay, so ", "Good evening. ", "One more thing: ", "Dear assistant, "]
EVAL_SUFFIXES = [" Much appreciated.", " Thx.", " Many thanks!", " I'd be grateful."]

# Out-of-domain questions: templates over fillers. The refusal is the answer to all of them.
TRAIN_OOD_TEMPLATES = [
    "Who wrote {book}?", "Can you summarise {book}?", "How do I {task}?", "What's the best way to {task}?",
    "What is {a} plus {b}?", "What is {a} times {b}?", "How much is {a} minus {b}?", "Tell me a joke about {thing}.",
    "Write a poem about {thing}.", "What is the capital of {fiction}?", "What currency does {fiction} use?",
    "Which continent is {fiction} on?", "What language do they speak in {fiction}?",
    "What is the population of {c}?", "Who is the president of {c}?", "How big is {c}?",
    "What is the national dish of {c}?", "What colours are on the flag of {c}?", "What time is it in {c}?",
    "What is the weather like in {c} today?", "When did {c} become independent?",
    "What is the tallest mountain in {c}?", "What is {thing}?", "Why is the sky blue?",
    "Who are you?", "What can you do?", "Translate \"{word}\" into French.", "How do you say \"{word}\" in German?",
    "Write a Java function that {code}.", "Explain how {science} works.", "Who won the football world cup in {year}?",
    "What happened in {year}?", "Recommend a good movie.", "What should I cook tonight?", "How are you today?",
    "What is the meaning of life?", "Can you help me with my homework on {science}?", "What is the speed of light?",
    "Tell me about {person}.", "When was {person} born?", "hello", "Thanks!", "What's the time?",
    "Is {thing} healthy?", "What is the boiling point of water?", "Give me a synonym for \"{word}\".",
]
# Added for phases 2 and 3 (build_data.py --widen): more things about real countries it does not know, and made-up
# countries and capitals; inserted after "Why is the sky blue?", where the phase 2 and 3 corpora had them.
_AT = TRAIN_OOD_TEMPLATES.index("Why is the sky blue?") + 1
TRAIN_OOD_TEMPLATES_WIDE = TRAIN_OOD_TEMPLATES[:_AT] + [
    "What is the climate like in {c}?", "What is the largest city in {c}?", "What is the national animal of {c}?",
    "What is the main religion in {c}?", "What does {c} export?", "Which side of the road do they drive on in {c}?",
    "What is the internet domain of {c}?", "How rich is {c}?", "What food is {c} famous for?",
    "What is the capital of {made_up}?", "What currency does {made_up} use?", "Which continent is {made_up} in?",
    "What language is spoken in {made_up}?", "Which country has {made_up_city} as its capital?",
] + TRAIN_OOD_TEMPLATES[_AT:]
EVAL_OOD_TEMPLATES = [
    "Who painted {person2}'s most famous picture?", "Can you fix this bug in my {lang2} code?",
    "How many legs does a {animal2} have?", "What is the square root of {a}?", "Suggest a name for my {animal2}.",
    "What is the capital of {fiction2}?", "Which currency is used in {fiction2}?", "What do people speak in {fiction2}?",
    "How many people live in {c}?", "Who leads the government of {c}?", "What is the highest point in {c}?",
    "What sports are popular in {c}?", "What is the phone code for {c}?", "How old is the universe?",
    "Write me a short story about a {animal2}.", "What is {a} divided by {b}?", "Which planet is the largest?",
    "Do you like music?", "Explain {science2} to a child.", "What's a good recipe for {food2}?",
]
FILLERS = {
    "book": ["Hamlet", "Moby-Dick", "Pride and Prejudice", "War and Peace", "Don Quixote", "The Odyssey", "Ulysses",
             "Dracula", "Frankenstein", "Les Misérables", "The Hobbit", "Faust", "Madame Bovary", "Emma", "Beloved"],
    "task": ["bake bread", "fix a flat tyre", "learn to swim", "tie a tie", "write a CV", "plant tomatoes",
             "change a light bulb", "cook rice", "train a puppy", "lose weight", "sleep better", "learn Java",
             "install Linux", "paint a wall", "play chess", "make coffee", "save money", "start a blog"],
    "thing": ["cats", "the ocean", "autumn", "coffee", "robots", "a rainy day", "love", "mountains", "bicycles",
              "chocolate", "the moon", "trains", "friendship", "spring", "computers", "a black hole", "bananas"],
    "fiction": ["Atlantis", "Narnia", "Wakanda", "Mordor", "Gondor", "Westeros", "Oz", "Utopia", "El Dorado",
                "Lilliput", "Genovia", "Latveria", "Zamunda", "Elbonia", "Freedonia", "Ruritania", "Arstotzka",
                "Sokovia", "Florin", "Krakozhia", "Neverland", "Shangri-La", "Camelot", "Hyrule", "Tamriel"],
    "word": ["house", "apple", "friend", "water", "book", "tree", "happy", "window", "dog", "night"],
    "code": ["reverses a string", "sorts a list", "reads a file", "adds two numbers", "parses JSON"],
    "science": ["photosynthesis", "gravity", "a rainbow", "electricity", "an engine", "the internet",
                "vaccination", "a volcano", "the stock market", "evolution"],
    "person": ["Albert Einstein", "Marie Curie", "Shakespeare", "Mozart", "Napoleon", "Cleopatra", "Ada Lovelace",
               "Leonardo da Vinci", "Isaac Newton", "Frida Kahlo"],
    "year": [str(y) for y in range(1930, 2027, 4)],
    "a": [str(n) for n in range(2, 99)],
    "b": [str(n) for n in range(2, 99)],
    # evaluation-only fillers
    "person2": ["Rembrandt", "Van Gogh", "Picasso", "Monet", "Vermeer"],
    "lang2": ["Python", "Rust", "C++", "JavaScript", "Kotlin"],
    "animal2": ["spider", "horse", "parrot", "octopus", "goldfish", "hamster"],
    "fiction2": ["Panem", "Agrabah", "Markovia", "Qumar", "Borduria", "Syldavia", "Grand Fenwick", "Tomainia",
                 "Kyrat", "Vulgaria"],
    "science2": ["quantum mechanics", "the water cycle", "magnetism", "nuclear fusion", "tides"],
    "food2": ["pancakes", "lasagne", "curry", "soup", "muffins"],
}

# A second held-out set, written after a first evaluation on EVAL had shown where the model failed and the training
# phrasings had been widened (see GENERATED_* below): EVAL had become a development set, so the figures reported in
# the model card come from this one, which no training change was made against.
EVAL2 = {
    "capital": [
        "So, {c}: where does its government sit, which city?", "Quick check, the capital of {c} is which city again?",
        "Would you happen to know {c}'s capital?", "For my geography quiz I need {c}'s capital.",
        "Which city is the capital if I'm in {c}?", "Is there a capital city in {c}, and which is it?",
        "tell me {c}'s capital city", "I forgot the capital of {c}. Can you remind me?",
    ],
    "continent": [
        "Which continent do you find {c} on?", "For my geography quiz: {c} belongs to which continent?",
        "Would you happen to know where {c} is, continent-wise?", "tell me {c}'s continent",
        "I forgot which continent {c} is in. Can you remind me?", "On a world map, {c} is in which continent?",
        "Quick check, {c} is on which continent again?", "Where exactly is {c}, which continent?",
    ],
    "currency": [
        "Would you happen to know {c}'s money?", "For my trip I need to know the currency in {c}.",
        "tell me {c}'s currency", "I forgot what money they use in {c}. Can you remind me?",
        "Quick check, the currency of {c} is what again?", "When shopping in {c}, which currency do I pay in?",
        "What's the name of the money in {c}?", "Which currency is official over in {c}?",
    ],
    "languages": [
        "Would you happen to know what they speak in {c}?", "For my trip I need to know the language of {c}.",
        "tell me {c}'s languages", "I forgot which language they speak in {c}. Can you remind me?",
        "Quick check, the main language in {c} is what again?", "What language will people in {c} talk to me in?",
        "Which languages are official in {c}?", "What tongue is spoken across {c}?",
    ],
    "country_of_capital": [
        "Would you happen to know which country {cap} is the capital of?", "tell me the country of {cap}",
        "For my geography quiz: {cap} is the capital of which country?", "I forgot where {cap} is. Can you remind me?",
        "Quick check, {cap} is the capital of what country again?", "{cap} is a capital, but of which country?",
        "Which country would I be in if I visited {cap}?", "What country does {cap} belong to?",
    ],
}
EVAL2_PREFIXES = ["Greetings! ", "Yo, ", "Hi assistant, ", "Morning! ", "Right, ", "Listen, "]
EVAL2_SUFFIXES = [" Ta!", " Thanks a lot.", " You're the best.", " Appreciate it!"]
EVAL2_OOD_TEMPLATES = [
    "Who composed {person3}'s best-known symphony?", "How do I reverse a list in {lang3}?",
    "What is the capital of {fiction3}?", "Which language do they speak in {fiction3}?",
    "What is the national anthem of {c}?", "How many provinces does {c} have?", "What is {a} squared?",
    "Can you book me a flight to {c}?", "What's the best beach in {c}?", "What does a {animal3} eat?",
    "Tell me something funny.", "Explain {science3} in simple words.",
]
FILLERS.update({
    "person3": ["Beethoven", "Haydn", "Dvořák", "Sibelius", "Mahler"],
    "lang3": ["Go", "Ruby", "Haskell", "Swift", "Perl"],
    "fiction3": ["Zubrowka", "Costaguana", "Bialya", "San Theodoros", "Kreplachistan", "Moldavanka"],
    "animal3": ["koala", "penguin", "giraffe", "squirrel", "tortoise"],
    "science3": ["inflation", "plate tectonics", "lightning", "earthquakes", "the immune system"],
})

# Widened training phrasings (added after the first evaluation): questions composed from parts, and chatter around
# them, so that the model learns to find the country and the kind of question in text it has never seen. None of these
# parts was taken from EVAL or EVAL2; build_data.py drops any composed question equal to an evaluation template.
GEN_ASK = ["what is", "what's", "tell me", "do you know", "can you tell me", "could you tell me", "I want to know",
           "I'd like to know", "please tell me", "give me", "name", "any idea what is", "I wonder what is",
           "remind me what is", "do you remember", "what would be", "say", "find", "look up"]
GEN_NOUN = {
    "capital": ["the capital of {c}", "the capital city of {c}", "{c}'s capital", "{c}'s capital city",
                "the capital in {c}", "the seat of government of {c}", "the capital city in {c}", "{c} capital"],
    "continent": ["the continent of {c}", "{c}'s continent", "which continent {c} is on", "where {c} is",
                  "the continent {c} is in", "which continent has {c}", "{c} continent", "the part of the world {c} is in"],
    "currency": ["the currency of {c}", "{c}'s currency", "the money used in {c}", "the money of {c}",
                 "the currency in {c}", "which money {c} uses", "{c} currency", "the cash they use in {c}"],
    "languages": ["the languages of {c}", "{c}'s language", "the language spoken in {c}", "what {c} speaks",
                  "the main languages in {c}", "which languages {c} has", "{c} languages", "what people speak in {c}"],
    "country_of_capital": ["the country whose capital is {cap}", "which country {cap} is in", "{cap}'s country",
                           "the country of {cap}", "which nation has {cap} as capital", "where {cap} is",
                           "{cap} country", "the country with the capital {cap}"],
}
GEN_TAIL = ["?", ".", "", " please?", " for me?", " again?", ", if you know?", " right now?", " quickly?"]
GEN_OPEN = ["Hi", "Hello", "Hey", "Hiya", "Good afternoon", "Good day", "Howdy", "Hi again", "Hey there", "Heya",
            "Salut", "Hola", "Ok", "Well", "Alright", "Um", "Hmm", "So", "Excuse me", "Pardon me", "Please",
            "Sorry", "Thanks", "Question", "Help", "Quick one", "Random question", "Curious", "By the way"]
GEN_CHATTER = ["I hope you are well.", "I have a question.", "My name is Sam.", "I am a student.",
               "I love geography.", "This is for a quiz.", "I'm planning a holiday.", "My teacher asked me this.",
               "I'm bored.", "It's for a crossword.", "I was just wondering.", "Sorry if this is simple.",
               "I'm writing an essay.", "My friend and I are arguing about this.", "I'm packing my bags.",
               "I am a tourist.", "Here is my question.", "I need help.", "Can I ask something?", "Just curious."]
GEN_CLOSE = ["Thanks.", "Thank you!", "Thx!", "Cheers!", "Bye.", "Have a nice day.", "Please answer.",
             "That's all.", "Take care!", "Thanks so much.", "Much obliged.", "Many thanks in advance.", ":)", "!"]

# Everyday words for "word salad" around a question (phase 3): the model must find the question in any surrounding text.
COMMON_WORDS = """the a an and or but so because if then well okay yes no maybe please thanks thank you me my we our
they them it this that these those here there now today tomorrow yesterday soon later again also just really very
quite much many more most some any every each other another new old good great nice fine bad big small long short
first last next little own same right sure wrong happy sad friend family mother father brother sister teacher student
boss team school work home house car train plane bus trip holiday travel travelling visit visiting going coming
leaving staying think know want need like love hope wish guess wonder ask asking answer question help tell say said
look find give take make get got have has had do does did can could would should will shall may might must be is are
was were been being am hello hi hey dear sir madam folks everyone guys pal buddy mate morning evening night weekend
coffee tea lunch dinner book map phone email message note list quiz test exam homework essay report project class
lesson idea fact thing stuff something anything nothing everything world country city place people person name time
year month week day hour minute money price cost cheap expensive weather rain sun snow cold hot warm""".split()
