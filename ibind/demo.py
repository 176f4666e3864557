"""``python -m ibind.demo``: a complete trading session against an in-process gateway simulator.

No gateway, no account and no network needed: the demo starts ``ibind.sim`` on a free loopback port,
points an ``IbkrClient`` at it and walks through what a trading program does, printing each step:

 1. health            ``check_health()`` and the brokerage session's status
 2. accounts          ``receive_brokerage_accounts()``, ``portfolio_accounts()``
 3. conid lookup      ``stock_conid_by_symbol()``
 4. snapshot          ``live_marketdata_snapshot_by_symbol()`` (named fields; the pre-flight is handled)
 5. history           ``marketdata_history_by_symbols()`` (cleaned bars)
 6. portfolio         ``positions2()`` and ``get_ledger()`` before trading
 7. bracket order     parent + take-profit + stop-loss, IBKR's questions answered through ``answers``
 8. fills             the parent fills at once; simulated time moves until one exit fills and the other
                      is cancelled (one-cancels-other); ``live_orders()``, ``trades()``
 9. portfolio         positions and ledger after the bracket, compared with before
10. cancel            a limit order far from the market, placed and cancelled

The simulator's clock is frozen at a fixed instant, so a ``--seed`` always replays the same session
(prices, order ids, fills). It only moves when the demo says so (``sim.control.advance(seconds)``),
which stands in for the hours a real program would wait for its exit orders.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import textwrap
import time
from typing import Any, Dict, Iterable, List, Optional, Sequence, TextIO, Tuple

from ibind.client.ibkr_client import IbkrClient
from ibind.client.order_request import OrderRequest
from ibind.client.questions import Answers, QuestionType, find_answer, question_messages
from ibind.sim import GatewaySimulator
from ibind.support.errors import ExternalBrokerError
from ibind.support.logs import ibind_logs_initialize

PROG = 'python -m ibind.demo'
START_TIME = datetime.datetime(2025, 1, 15, 15, 0, tzinfo=datetime.timezone.utc)  # a Wednesday, 10:00 New York
SYMBOLS = ('AAPL', 'MSFT', 'IBM')
TRADED = 'AAPL'
QUANTITY = 100
EXIT_DISTANCE = 0.01  # take-profit and stop-loss 1% away from the entry price
POLL_STEP = 300.0  # simulated seconds between two looks at the exit orders (below the 6 min idle timeout)
POLL_LIMIT = 3 * 86400.0  # give up waiting for an exit after three simulated days
FAR_BELOW = 0.05  # the order that is cancelled: a buy limit 5% below the market
OPEN_STATUSES = ('PreSubmitted', 'Submitted', 'PendingSubmit')
SNAPSHOT_FIELDS = ('last_price', 'bid', 'ask', 'change_percent', 'high', 'low', 'volume')
LEDGER_ROWS = (
    ('cash', 'cashbalance'),
    ('stock market value', 'stockmarketvalue'),
    ('net liquidation', 'netliquidationvalue'),
    ('realized P&L', 'realizedpnl'),
    ('unrealized P&L', 'unrealizedpnl'),
)
ANSWERS: Answers = {
    QuestionType.STOP_ORDER_RISKS: True,  # o10331: "You are about to submit a stop order..."
    QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True,  # o163: limit price more than 3% away from the market
    QuestionType.MISSING_MARKET_DATA: True,  # o354: asked without a market data subscription
}


# ----------------------------------------------------------------- printing


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], indent: int = 4) -> List[str]:
    """Aligned text columns: numbers right-aligned, text left-aligned; None shows as '-'."""
    body = [[_cell(value) for value in row] for row in rows]
    if not body:
        return [' ' * indent + '(none)']
    numeric = [all(_is_number(row[i]) for row in body) for i in range(len(headers))]
    widths = [max(len(headers[i]), *(len(row[i]) for row in body)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i]) for i, cell in enumerate(cells)]
        return (' ' * indent + '  '.join(parts)).rstrip()

    return [line(headers), line(['-' * width for width in widths])] + [line(row) for row in body]


def _cell(value: Any) -> str:
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:,.2f}'
    if isinstance(value, datetime.datetime):
        return value.strftime('%Y-%m-%d %H:%M')
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(',', '').rstrip('%KMB'))
    except ValueError:
        return text == '-'
    return True


def _money(value: Any) -> str:
    try:
        return f'{float(value):,.2f}'
    except (TypeError, ValueError):
        return '-'


def _quantity(value: Any) -> Any:
    """100.0 -> 100 (IBKR sends quantities as floats, sometimes as strings)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else number


def _epoch_ms(value: Any) -> Optional[datetime.datetime]:
    try:
        return datetime.datetime.fromtimestamp(int(value) / 1000, tz=datetime.timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


def _duration(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f'{days} d'] if days else []
    parts += [f'{hours} h'] if hours else []
    parts += [f'{minutes} min'] if minutes or not parts else []
    return ' '.join(parts)


# ----------------------------------------------------------------- reading answers


def _json_object(data: Any, call: str) -> Dict[str, Any]:
    """``Result.data`` of a call documented to answer a JSON object; anything else is the gateway's fault."""
    if not isinstance(data, dict):
        raise ExternalBrokerError(f'{call} answered {type(data).__name__}, not a JSON object', body=data)
    return data


def _json_objects(data: Any, call: str) -> List[Dict[str, Any]]:
    """``Result.data`` of a call documented to answer a list of JSON objects; anything else is the gateway's fault."""
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ExternalBrokerError(f'{call} answered {type(data).__name__}, not a list of JSON objects', body=data)
    return data


# ----------------------------------------------------------------- a client that remembers questions


class QuestionRecordingClient(IbkrClient):
    """An IbkrClient that also keeps the order questions IBKR asked.

    ``place_order`` answers IBKR's questions from ``answers`` by itself and returns only the final
    acknowledgement; to show which questions were asked, this subclass looks at every POST answer and
    keeps those shaped like a question (``[{"id", "message", "messageIds", ...}]``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions: List[Dict[str, Any]] = []

    def post(self, path: str, json: Any = None, params: Optional[Dict[str, Any]] = None, **options: Any) -> Any:
        result = super().post(path, json=json, params=params, **options)
        data = result.data
        if isinstance(data, list) and data and isinstance(data[0], dict) and {'id', 'message'} <= set(data[0]):
            self.questions.append(data[0])
        return result


def answer_key(answers: Answers, text: str, message_id: Optional[str]) -> str:
    """How ``answers`` answered one question message: 'yes (QuestionType.X)' or 'no answer'."""
    for key, value in answers.items():
        if find_answer({key: value}, text, message_id) is not None:
            name = f'QuestionType.{key.name}' if isinstance(key, QuestionType) else repr(key)
            return f'{"yes" if value else "no"} ({name})'
    return 'no answer (declined)'


# ----------------------------------------------------------------- the session


class DemoSession:
    """The steps of the demo, in order; each prints what it called and what came back."""

    def __init__(self, client: QuestionRecordingClient, sim: GatewaySimulator, out: TextIO):
        self.client = client
        self.sim = sim
        self.out = out
        self.step_number = 0
        self.account_id = ''
        self.conids: Dict[str, int] = {}
        self.quote: Dict[str, Any] = {}
        self.ledger_before: Dict[str, Any] = {}

    # -- output
    def say(self, text: str = '', indent: int = 4) -> None:
        print(textwrap.indent(text, ' ' * indent) if text else '', file=self.out)

    def lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            print(line, file=self.out)

    def step(self, title: str, call: str = '') -> None:
        self.step_number += 1
        print(f'\n[{self.step_number}] {title}', file=self.out)
        if call:
            self.say(f'>>> {call}')

    def simulator_note(self, text: str) -> None:
        self.say(textwrap.fill(f'(simulator) {text}', width=100, subsequent_indent=' ' * 12))

    # -- steps
    def run(self) -> None:
        self.health()
        self.accounts()
        self.conid_lookup()
        self.snapshot()
        self.history()
        self.portfolio('Portfolio before trading')
        ids = self.bracket_order()
        self.fills(ids)
        self.portfolio('Portfolio after the bracket', compare=True)
        self.cancel()

    def health(self) -> None:
        self.step('Health', 'client.check_health()')
        healthy = self.client.check_health()
        self.say(f'healthy: {healthy}')
        status = _json_object(self.client.authentication_status().data, 'authentication_status()')
        self.say('>>> client.authentication_status().data')
        self.lines(
            format_table(
                ('authenticated', 'connected', 'competing'),
                [(status.get('authenticated'), status.get('connected'), status.get('competing'))],
            )
        )
        if not healthy:
            raise ExternalBrokerError('the simulated gateway reports an unusable session', body=status)

    def accounts(self) -> None:
        self.step('Accounts', 'client.receive_brokerage_accounts().data')
        brokerage = _json_object(self.client.receive_brokerage_accounts().data, 'receive_brokerage_accounts()')
        self.account_id = brokerage['selectedAccount']
        self.client.account_id = self.account_id  # methods called without account_id use this one
        self.say(
            f'accounts: {", ".join(brokerage["accounts"])}   selected: {self.account_id}   '
            f'paper: {brokerage.get("isPaper")}'
        )
        self.say('>>> client.portfolio_accounts().data   (required once before other /portfolio calls)')
        rows = [
            (a.get('accountId'), a.get('type'), a.get('tradingType'), a.get('currency'))
            for a in _json_objects(self.client.portfolio_accounts().data, 'portfolio_accounts()')
        ]
        self.lines(format_table(('account', 'type', 'trading type', 'currency'), rows))

    def conid_lookup(self) -> None:
        self.step('Conid lookup', f'client.stock_conid_by_symbol({list(SYMBOLS)!r}).data')
        self.conids = _json_object(self.client.stock_conid_by_symbol(list(SYMBOLS)).data, 'stock_conid_by_symbol()')
        self.lines(format_table(('symbol', 'conid'), list(self.conids.items())))
        self.say('default filtering keeps the US listing: AAPL also trades in Mexico, Switzerland and as a CDR')

    def snapshot(self) -> None:
        self.step(
            'Market data snapshot',
            f'client.live_marketdata_snapshot_by_symbol({list(SYMBOLS)!r}, {list(SNAPSHOT_FIELDS)!r})',
        )
        snapshot = self.client.live_marketdata_snapshot_by_symbol(list(SYMBOLS), list(SNAPSHOT_FIELDS))
        self.quote = snapshot[TRADED]
        rows = [(symbol, *(fields.get(name) for name in SNAPSHOT_FIELDS)) for symbol, fields in snapshot.items()]
        self.lines(format_table(('symbol', 'last', 'bid', 'ask', 'change %', 'high', 'low', 'volume'), rows))
        self.say("the first snapshot of a conid is IBKR's pre-flight (no values); the client asked again")

    def history(self) -> None:
        self.step('History', f"client.marketdata_history_by_symbols([{TRADED!r}], period='8h', bar='1h')")
        bars = self.client.marketdata_history_by_symbols([TRADED], period='8h', bar='1h')[TRADED]
        if isinstance(bars, Exception):
            raise bars
        rows = [(bar['date'], bar['open'], bar['high'], bar['low'], bar['close'], int(bar['volume'])) for bar in bars]
        self.lines(format_table(('bar start (UTC)', 'open', 'high', 'low', 'close', 'volume (x100)'), rows))

    def portfolio(self, title: str, compare: bool = False) -> None:
        self.step(title, 'client.positions2().data; client.get_ledger().data')
        self.print_positions()
        ledger = _json_object(self.client.get_ledger().data, 'get_ledger()').get('BASE', {})
        if not compare:
            self.ledger_before = ledger
            self.lines(
                format_table(
                    ('ledger (BASE)', 'value'), [(label, _money(ledger.get(key))) for label, key in LEDGER_ROWS]
                )
            )
            return
        rows = []
        for label, key in LEDGER_ROWS:
            before, after = self.ledger_before.get(key), ledger.get(key)
            change = float(after) - float(before) if before is not None and after is not None else None
            rows.append((label, _money(before), _money(after), _money(change)))
        self.lines(format_table(('ledger (BASE)', 'before', 'after', 'change'), rows))
        if not _json_objects(self.client.positions2().data, 'positions2()'):
            self.say('flat again: the change in cash is the realized P&L less the two commissions')

    def print_positions(self) -> None:
        positions = _json_objects(self.client.positions2().data, 'positions2()')
        rows = [
            (
                p.get('description'),
                _quantity(p.get('position')),
                p.get('avgPrice'),
                p.get('marketPrice'),
                p.get('marketValue'),
                p.get('unrealizedPnl'),
            )
            for p in positions
        ]
        self.lines(format_table(('position', 'quantity', 'avg price', 'market', 'value', 'unrealized'), rows))

    def bracket_order(self) -> Dict[str, str]:
        conid = self.conids[TRADED]
        entry = float(self.quote['ask'])
        take_profit = round(entry * (1 + EXIT_DISTANCE), 2)
        stop_loss = round(entry * (1 - EXIT_DISTANCE), 2)
        self.step('Bracket order', 'client.place_order([parent, take_profit, stop_loss], answers=ANSWERS)')
        parent_coid = 'demo-bracket-parent'  # a cOID must be unique for 24 h; the simulator is new
        orders = {
            'parent': OrderRequest(
                conid=conid,
                side='BUY',
                quantity=QUANTITY,
                order_type='LMT',
                price=entry,
                acct_id=self.account_id,
                coid=parent_coid,
                tif='GTC',
            ),
            'take-profit': OrderRequest(
                conid=conid,
                side='SELL',
                quantity=QUANTITY,
                order_type='LMT',
                price=take_profit,
                acct_id=self.account_id,
                parent_id=parent_coid,
                tif='GTC',
            ),
            'stop-loss': OrderRequest(
                conid=conid,
                side='SELL',
                quantity=QUANTITY,
                order_type='STP',
                price=stop_loss,
                acct_id=self.account_id,
                parent_id=parent_coid,
                tif='GTC',
            ),
        }
        self.lines(
            format_table(
                ('order', 'side', 'qty', 'type', 'price', 'note'),
                [
                    ('parent', 'BUY', QUANTITY, 'LMT', entry, f'{TRADED} at the ask: fills at once'),
                    ('take-profit', 'SELL', QUANTITY, 'LMT', take_profit, f'+{EXIT_DISTANCE:.0%}, child of the parent'),
                    ('stop-loss', 'SELL', QUANTITY, 'STP', stop_loss, f'-{EXIT_DISTANCE:.0%}, child of the parent'),
                ],
            )
        )
        self.client.questions.clear()
        acknowledgements = _json_objects(self.client.place_order(list(orders.values()), ANSWERS).data, 'place_order()')
        self.print_questions()
        ids = {role: ack['order_id'] for role, ack in zip(orders, acknowledgements)}
        self.say('acknowledgement:')
        self.lines(
            format_table(
                ('order', 'order id', 'status'),
                [(role, ack['order_id'], ack['order_status']) for role, ack in zip(orders, acknowledgements)],
            )
        )
        return ids

    def print_questions(self) -> None:
        if not self.client.questions:
            self.say('IBKR asked no questions')
            return
        self.say('questions IBKR asked, and the answers given:')
        for question in self.client.questions:
            for text, message_id in question_messages(question):
                wrapped = textwrap.fill(
                    ' '.join(text.split()),
                    width=88,
                    initial_indent=f'[{message_id}] ',
                    subsequent_indent=' ' * (len(str(message_id)) + 3),
                )
                self.say(wrapped, indent=6)
                self.say(f'-> {answer_key(ANSWERS, text, message_id)}', indent=6 + len(str(message_id)) + 3)

    def fills(self, ids: Dict[str, str]) -> None:
        self.step('Fills', f"client.order_status('{ids['parent']}').data")
        parent = _json_object(self.client.order_status(ids['parent']).data, 'order_status()')
        self.say(
            f'parent: {parent.get("order_status")}, {_quantity(parent.get("cum_fill"))} @ {parent.get("average_price")}'
        )
        self.say('>>> client.positions2().data')
        self.print_positions()
        exits = {role: order_id for role, order_id in ids.items() if role != 'parent'}
        self.simulator_note(
            f'sim.control.advance({POLL_STEP:g}) moves the simulated clock {_duration(POLL_STEP)} '
            'at a time, and order_status() looks at the exits after each step; a real program '
            'would simply wait, or listen on the websocket'
        )
        statuses, waited = self.wait_for_exit(exits)
        if any(status in OPEN_STATUSES for status in statuses.values()):
            self.say(f'no exit filled within {_duration(waited)}; cancelling both exit orders')
            for order_id in exits.values():
                self.client.cancel_order(order_id)
        else:
            outcome = ', '.join(f'{role} {status}' for role, status in statuses.items())
            self.say(
                textwrap.fill(
                    f'after {_duration(waited)} of simulated time: {outcome} (the two exits form '
                    'a one-cancels-other group)',
                    width=100,
                    subsequent_indent='  ',
                )
            )
        self.say('>>> client.live_orders().data["orders"]')
        role_of = {int(order_id): role for role, order_id in ids.items()}
        live_orders = _json_object(self.client.live_orders().data, 'live_orders()').get('orders', [])
        live = [o for o in _json_objects(live_orders, 'live_orders()["orders"]') if o.get('orderId') in role_of]
        live.sort(key=lambda o: o['orderId'])
        self.lines(
            format_table(
                ('order', 'order id', 'side', 'type', 'price', 'status', 'filled', 'avg price'),
                [
                    (
                        role_of[o['orderId']],
                        o['orderId'],
                        o.get('side'),
                        o.get('orderType'),
                        o.get('price'),
                        o.get('status'),
                        _quantity(o.get('filledQuantity')),
                        o.get('avgPrice'),
                    )
                    for o in live
                ],
            )
        )
        self.say('>>> client.trades().data')
        executions = [t for t in _json_objects(self.client.trades().data, 'trades()') if t.get('order_id') in role_of]
        self.lines(
            format_table(
                ('time (UTC)', 'order', 'side', 'size', 'price', 'commission', 'net amount'),
                [
                    (
                        _epoch_ms(t.get('trade_time_r')),
                        role_of[t['order_id']],
                        t.get('side'),
                        _quantity(t.get('size')),
                        t.get('price'),
                        t.get('commission'),
                        t.get('net_amount'),
                    )
                    for t in executions
                ],
            )
        )

    def wait_for_exit(self, exits: Dict[str, str]) -> Tuple[Dict[str, Optional[str]], float]:
        """Advance simulated time until no exit order is open (or POLL_LIMIT passed); their last statuses."""
        waited = 0.0
        statuses: Dict[str, Optional[str]] = dict.fromkeys(exits, '')
        while waited < POLL_LIMIT:
            self.sim.control.advance(POLL_STEP)
            waited += POLL_STEP
            statuses = {
                role: _json_object(self.client.order_status(order_id).data, 'order_status()').get('order_status')
                for role, order_id in exits.items()
            }
            if not any(status in OPEN_STATUSES for status in statuses.values()):
                break
        return statuses, waited

    def cancel(self) -> None:
        conid = self.conids[TRADED]
        last = float(self.client.live_marketdata_snapshot_by_symbol([TRADED], ['last_price'])[TRADED]['last_price'])
        price = round(last * (1 - FAR_BELOW), 2)
        self.step(
            'Cancel', f'client.place_order(OrderRequest(... BUY {QUANTITY} {TRADED} LMT {price} ...), answers=ANSWERS)'
        )
        self.say(f'a limit {FAR_BELOW:.0%} below the last price ({last:.2f}): it will not fill')
        self.client.questions.clear()
        order = OrderRequest(
            conid=conid,
            side='BUY',
            quantity=QUANTITY,
            order_type='LMT',
            price=price,
            acct_id=self.account_id,
            tif='DAY',
        )
        order_id = _json_objects(self.client.place_order(order, ANSWERS).data, 'place_order()')[0]['order_id']
        self.print_questions()
        status = _json_object(self.client.order_status(order_id).data, 'order_status()')
        self.say(f'order {order_id}: {status.get("order_status")}')
        self.say(f">>> client.cancel_order('{order_id}').data['msg']")
        self.say(str(_json_object(self.client.cancel_order(order_id).data, 'cancel_order()').get('msg')))
        self.say(f">>> client.order_status('{order_id}').data['order_status']")
        self.say(str(_json_object(self.client.order_status(order_id).data, 'order_status()').get('order_status')))


# ----------------------------------------------------------------- entry point


def run_demo(seed: int = 0, verbose: int = 0, out: TextIO = sys.stdout) -> int:
    """Start a simulator, run the session against it, stop it; 0 on success."""
    if verbose:
        ibind_logs_initialize(log_to_console=True, log_to_file=False, log_level='DEBUG' if verbose > 1 else 'INFO')
    started = time.monotonic()
    with GatewaySimulator(port=0, seed=seed, frozen_clock=True, start_time=START_TIME.timestamp()) as sim:
        print(f'ibind demo: a complete session against ibind.sim, the IBKR gateway simulator (seed {seed})', file=out)
        print(
            f'    gateway: {sim.url}   simulated time: {START_TIME:%Y-%m-%d %H:%M} UTC (frozen; it moves only '
            'when the demo advances it)',
            file=out,
        )
        # pacing=False: the simulator does not enforce IBKR's limits unless asked to, and the demo moves its
        # clock by hours; against a real gateway keep the default (pacing=True).
        client = QuestionRecordingClient(url=sim.url, account_id=None, cacert=False, use_oauth=False, pacing=False)
        try:
            DemoSession(client, sim, out).run()
        finally:
            client.close()
        requests = sim.control.state()['counters']['total']
    print(f'\nDone: {requests} requests to the simulated gateway in {time.monotonic() - started:.1f} s.', file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Run a complete ibind session (health, accounts, market data, a bracket order with '
        'its fills, positions, ledger, a cancel) against an in-process IBKR gateway simulator.',
    )
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the simulated market: the same seed replays the same session (default: 0)',
    )
    parser.add_argument(
        '--verbose',
        '-v',
        action='count',
        default=0,
        help="also print ibind's log (INFO; -vv for DEBUG, every request) to stderr",
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_demo(seed=args.seed, verbose=args.verbose)
    except ExternalBrokerError as error:
        print(f'{PROG}: the session failed: {error}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == '__main__':
    sys.exit(main())
