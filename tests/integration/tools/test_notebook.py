"""examples/notebook_01 run end to end in a Jupyter kernel (nbclient) against the simulator.

The kernel is a separate process: it imports this worktree's ibind (PYTHONPATH) and finds the simulator
through IBIND_REST_URL, as a user's notebook would through the environment or a .env file.
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[3]
NOTEBOOK = REPO / 'examples' / 'notebook_01_closes_and_positions.ipynb'
ACCOUNT = 'DU1234567'


def outputs_of(cell):
    texts = []
    for output in cell.get('outputs', []):
        if output.get('output_type') == 'stream':
            texts.append(output['text'])
        elif 'data' in output:
            texts.append(output['data'].get('text/plain', ''))
    return '\n'.join(texts)


@pytest.mark.timeout(300)
def test_notebook_runs_end_to_end(start_simulator, monkeypatch, tmp_path):
    sim = start_simulator(initial_positions={ACCOUNT: [{'conid': 265598, 'quantity': 50, 'avg_price': 180.0}]})
    for key in [key for key in os.environ if key.startswith('IBIND_')]:
        monkeypatch.delenv(key)
    monkeypatch.setenv('IBIND_REST_URL', sim.url)
    monkeypatch.setenv('IBIND_ACCOUNT_ID', ACCOUNT)
    monkeypatch.setenv('PYTHONPATH', str(REPO))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name='python3', resources={'metadata': {'path': str(tmp_path)}}
    ).execute()

    code = [cell for cell in notebook.cells if cell.cell_type == 'code']
    errors = [output for cell in code for output in cell.get('outputs', []) if output.get('output_type') == 'error']
    assert not errors, errors

    def output(last_line):
        (cell,) = [cell for cell in code if cell.source.strip().splitlines()[-1].startswith(last_line)]
        return outputs_of(cell)

    assert output('client.check_health()').strip() == 'True'
    rows, columns = (int(part) for part in output('closes.shape').strip('()\n ').split(','))
    assert columns == 10 and rows > 200  # a year of trading days
    dtypes = output('bars.dtypes')
    assert dtypes.count('float64') == 5 and 'object' not in dtypes.replace('dtype: object', '')
    quotes_dtypes = output('quotes.dtypes')
    assert 'last_price' in quotes_dtypes and 'float64' in quotes_dtypes and 'Int64' in quotes_dtypes
    positions = output("positions[['contractDesc'")
    assert 'AAPL' in positions and '50.0' in positions
    assert sim.gateway.counters.by_route  # the kernel did talk to this simulator
