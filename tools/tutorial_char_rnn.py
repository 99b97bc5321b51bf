"""PyTorch's tutorial "NLP From Scratch: Classifying Names with a Character-Level RNN" (Sean Robertson).

https://pytorch.org/tutorials/intermediate/char_rnn_classification_tutorial.html, the PyTorch
1.13-era version (class RNN with i2h, i2o and LogSoftmax; a manual SGD step through p.data.add_),
run on the repository's own names. docs/char-rnn.md ports it to C# line for line.

Changes from the tutorial, and why:
- the data is samples/data/names/<Language>.txt (10 languages, about 100 ASCII surnames each)
  instead of the tutorial's download (18 languages, 20,074 names); every character of these names
  is in all_letters, so unicodeToAscii returns each name unchanged (letterToIndex never returns -1);
- findFiles sorts glob's result: glob returns the directory's order, which differs between file
  systems, and the category indices (and so the output columns) must be the same in both programs;
- a shorter run: n_iters = 5000, print_every = 500, plot_every = 100 (the tutorial: 100,000, 5000,
  1000), so that the C# test stays short (about half a minute);
- torch.manual_seed(0) and random.seed(0) make the run deterministic;
- the initial parameters are recorded, because the C# port draws other numbers than PyTorch's
  generator: it copies these in, so both train the same model;
- every number random.randint returned is recorded (randomChoice draws through it: the same draws,
  written down), and the C# port replays them, so both see the same names in the same order;
- the loss curve (all_losses) and the confusion matrix are printed where the tutorial plots them;
- the numbers are recorded at full precision where the tutorial prints them rounded (%.4f, %.2f);
  the elapsed time (timeSince) is printed but not recorded.

Writes tests/Samples.Tests/Fixtures/char_rnn.json: "init" (the initial parameters by state-dict
name: shape, and the float32 elements in base64), "randint" (every number random.randint
returned, in order), "printed" (each line the tutorial prints, in order: its text, its numbers at
full precision, and the words the C# line must contain) and the data's checksum.
Run with PyTorch 1.13: /usr/bin/python3 tools/tutorial_char_rnn.py
"""

from __future__ import unicode_literals, print_function, division

import base64
import glob
import math
import os
import random
import time
import unicodedata
import string

import torch
import torch.nn as nn

from fixtures import REPO, fixture_path, num, write_compact

os.chdir(REPO)
torch.manual_seed(0)
random.seed(0)

printed = []   # {"line": text, "values": [...], "words": [...]} in the order the tutorial prints them
draws = []     # every number random.randint returned


def show(text, values=(), words=(), recorded=None):
    """print(text) as the tutorial does, and record it (or `recorded`, the text without the
    elapsed time, so that the fixture is the same on every run), its numbers (full precision) and
    its words."""
    print(text)
    printed.append({"line": text if recorded is None else recorded, "values": [num(v) for v in values], "words": list(words)})


_randint = random.randint


def _recording_randint(a, b):
    v = _randint(a, b)
    draws.append(v)
    return v


random.randint = _recording_randint


# ---- Preparing the Data ------------------------------------------------------------------------
def findFiles(path): return sorted(glob.glob(path))


files = findFiles('samples/data/names/*.txt')
show(str(files), words=[os.path.basename(f) for f in files])

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)


# Turn a Unicode string to plain ASCII, thanks to https://stackoverflow.com/a/518232/2809427
def unicodeToAscii(s):
    return ''.join(
        c for c in unicodedata.normalize('NFD', s)
        if unicodedata.category(c) != 'Mn'
        and c in all_letters
    )


s = unicodeToAscii('Ślusàrski')
show(s, words=[s])

# Build the category_lines dictionary, a list of names per language
category_lines = {}
all_categories = []


# Read a file and split into lines
def readLines(filename):
    lines = open(filename, encoding='utf-8').read().strip().split('\n')
    return [unicodeToAscii(line) for line in lines]


raw = {}
for filename in findFiles('samples/data/names/*.txt'):
    category = os.path.splitext(os.path.basename(filename))[0]
    all_categories.append(category)
    lines = readLines(filename)
    category_lines[category] = lines
    raw[category] = open(filename, encoding='utf-8').read().strip().split('\n')

n_categories = len(all_categories)
assert n_categories == 10, all_categories
assert n_letters == 57
# The names are ASCII already: unicodeToAscii changes none of them, and letterToIndex finds every letter.
assert raw == category_lines
assert all(c in all_letters for lines in category_lines.values() for line in lines for c in line)

show(str(category_lines['Italian'][:5]), words=category_lines['Italian'][:5])


# ---- Turning Names into Tensors ----------------------------------------------------------------
# Find letter index from all_letters, e.g. "a" = 0
def letterToIndex(letter):
    return all_letters.find(letter)


# Just for demonstration, turn a letter into a <1 x n_letters> Tensor
def letterToTensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letterToIndex(letter)] = 1
    return tensor


# Turn a line into a <line_length x 1 x n_letters>,
# or an array of one-hot letter vectors
def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


t = letterToTensor('J')
show(str(t), values=t.reshape(-1).tolist())
size = lineToTensor('Jones').size()
show(str(size), values=list(size))


# ---- Creating the Network ----------------------------------------------------------------------
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()

        self.hidden_size = hidden_size

        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


n_hidden = 128
rnn = RNN(n_letters, n_hidden, n_categories)
# The initial parameters, for the C# port to copy in: each as its shape and its float32 elements
# (row-major, little-endian) in base64, which keeps the 25,530 numbers exact and the fixture small.
init = {name: {"shape": list(p.shape), "float32": base64.b64encode(p.detach().contiguous().numpy().astype('<f4').tobytes()).decode('ascii')}
        for name, p in rnn.state_dict().items()}

input = letterToTensor('A')
hidden = torch.zeros(1, n_hidden)

output, next_hidden = rnn(input, hidden)

input = lineToTensor('Albert')
hidden = torch.zeros(1, n_hidden)

output, next_hidden = rnn(input[0], hidden)
show(str(output), values=output.detach().reshape(-1).tolist())


# ---- Training: preparing ----------------------------------------------------------------------
def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


c = categoryFromOutput(output)
show(str(c), values=[c[1]], words=[c[0]])


def randomChoice(l):
    return l[random.randint(0, len(l) - 1)]


def randomTrainingExample():
    category = randomChoice(all_categories)
    line = randomChoice(category_lines[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    line_tensor = lineToTensor(line)
    return category, line, category_tensor, line_tensor


for i in range(10):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    show('category = ' + category + ' / line = ' + line, words=[category, line])

# ---- Training the Network ---------------------------------------------------------------------
criterion = nn.NLLLoss()

learning_rate = 0.005  # If you set this too high, it might explode. If too low, it might not learn


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()

    rnn.zero_grad()

    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)

    loss = criterion(output, category_tensor)
    loss.backward()

    # Add parameters' gradients to their values, multiplied by learning rate
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)

    return output, loss.item()


n_iters = 5000
print_every = 500
plot_every = 100

# Keep track of losses for plotting
current_loss = 0
all_losses = []


def timeSince(since):
    now = time.time()
    s = now - since
    m = math.floor(s / 60)
    s -= m * 60
    return '%dm %ds' % (m, s)


start = time.time()

for iter in range(1, n_iters + 1):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output, loss = train(category_tensor, line_tensor)
    current_loss += loss

    # Print iter number, loss, name and guess
    if iter % print_every == 0:
        guess, guess_i = categoryFromOutput(output)
        correct = '✓' if guess == category else '✗ (%s)' % category
        text = '%d %d%% (%s) %.4f %s / %s %s' % (iter, iter / n_iters * 100, timeSince(start), loss, line, guess, correct)
        show(text, values=[iter, int(iter / n_iters * 100), loss], words=[line, guess] + correct.replace('(', '').replace(')', '').split(' '),
             recorded='%d %d%% (time) %.4f %s / %s %s' % (iter, iter / n_iters * 100, loss, line, guess, correct))

    # Add current loss avg to list of losses
    if iter % plot_every == 0:
        all_losses.append(current_loss / plot_every)
        current_loss = 0

# ---- Plotting the Results (printed here) -------------------------------------------------------
show(str(all_losses), values=all_losses)

# ---- Evaluating the Results --------------------------------------------------------------------
# Keep track of correct guesses in a confusion matrix
confusion = torch.zeros(n_categories, n_categories)
n_confusion = 10000


# Just return an output given a line
def evaluate(line_tensor):
    hidden = rnn.initHidden()

    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)

    return output


# Go through a bunch of examples and record which are correctly guessed
for i in range(n_confusion):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output = evaluate(line_tensor)
    guess, guess_i = categoryFromOutput(output)
    category_i = all_categories.index(category)
    confusion[category_i][guess_i] += 1

# Normalize by dividing every row by its sum
for i in range(n_categories):
    confusion[i] = confusion[i] / confusion[i].sum()

show(str(confusion), values=confusion.reshape(-1).tolist())


# ---- Running on User Input ---------------------------------------------------------------------
def predict(input_line, n_predictions=3):
    show('\n> %s' % input_line, words=[input_line])
    with torch.no_grad():
        output = evaluate(lineToTensor(input_line))

        # Get top N categories
        topv, topi = output.topk(n_predictions, 1, True)
        predictions = []

        for i in range(n_predictions):
            value = topv[0][i].item()
            category_index = topi[0][i].item()
            show('(%.2f) %s' % (value, all_categories[category_index]), values=[value], words=[all_categories[category_index]])
            predictions.append([value, all_categories[category_index]])


predict('Dovesky')
predict('Jackson')
predict('Satoshi')

# ---- The fixture -------------------------------------------------------------------------------
write_compact(fixture_path("Samples.Tests", "char_rnn.json"), {
    "source": "tools/tutorial_char_rnn.py (PyTorch %s)" % torch.__version__,
    "data": {"categories": all_categories, "names": sum(len(v) for v in category_lines.values()),
             "letters": sum(len(line) for v in category_lines.values() for line in v)},
    "init": init,
    "randint": draws,
    "printed": printed,
})
