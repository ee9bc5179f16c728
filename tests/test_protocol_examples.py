"""Every example and CAPTURE push in PROTOCOL.md, decoded as a whole frame.

Each test takes the frame exactly as KuCoin sends it, runs it through the dialect's frame
decoder and then the payload registry, and checks the payload class, values and types.
"""

from __future__ import annotations

from decimal import Decimal

from rxkucoin._frames import ClassicMessage, ProPush, decode_classic, decode_pro
from rxkucoin.keys import Dialect
from rxkucoin.models import futures, pro, spot
from rxkucoin.models._base import Payload
from rxkucoin.models._registry import decode_payload


def classic(frame: str) -> tuple[ClassicMessage, Payload]:
    message = decode_classic(frame)
    assert isinstance(message, ClassicMessage)
    payload = decode_payload(Dialect.CLASSIC, message.topic, message.subject, bytes(message.data))
    return message, payload


def pro_push(frame: str) -> tuple[ProPush, Payload]:
    push = decode_pro(frame)
    assert isinstance(push, ProPush)
    return push, decode_payload(Dialect.PRO, push.topic, None, bytes(push.data))


def test_spot_order_v2_example() -> None:
    message, p = classic(
        '{"topic":"/spotMarket/tradeOrdersV2","type":"message","subject":"orderChange",'
        '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
        '"data":{"canceledSize":"0","clientOid":"5c52e11203aa677f33e493fb","filledSize":"0",'
        '"orderId":"6720ecd9ec71f4000747731a","orderTime":1730211033305,"orderType":"limit",'
        '"originSize":"0.00001","price":"50000","remainSize":"0.00001","side":"buy",'
        '"size":"0.00001","status":"open","symbol":"BTC-USDT","ts":1730211033335000000,'
        '"type":"open"}}'
    )
    assert message.user_id == "633559791e1cbc0001f319bc"
    assert isinstance(p, spot.SpotOrderChange)
    assert p.order_id == "6720ecd9ec71f4000747731a"
    assert p.price == Decimal("50000") and isinstance(p.price, Decimal)
    assert p.size == Decimal("0.00001")
    assert p.order_time == 1730211033305 and type(p.order_time) is int
    assert p.ts == 1730211033335000000
    assert (p.type, p.status, p.side) == ("open", "open", "buy")


def test_spot_balance_example() -> None:
    message, p = classic(
        '{"topic":"/account/balance","type":"message","subject":"account.balance",'
        '"id":"354689988084000","userId":"633559791e1cbc0001f319bc","channelType":"private",'
        '"data":{"accountId":"548674591753","currency":"USDT","total":"21.133773386762",'
        '"available":"20.132773386762","hold":"1.001","availableChange":"-0.5005",'
        '"holdChange":"0.5005","relationContext":{"symbol":"BTC-USDT",'
        '"orderId":"6721d0632db25b0007071fdc"},"relationEvent":"trade.hold",'
        '"relationEventId":"354689988084000","time":"1730269283892"}}'
    )
    assert message.id == "354689988084000"
    assert isinstance(p, spot.SpotBalanceChange)
    assert p.total == Decimal("21.133773386762")
    assert p.available is not None and p.hold is not None
    assert p.available + p.hold == p.total
    assert p.available_change == Decimal("-0.5005")
    assert p.relation_event == "trade.hold"
    assert p.relation_context is not None
    assert p.relation_context.order_id == "6721d0632db25b0007071fdc"
    assert p.time == 1730269283892 and type(p.time) is int


def test_futures_order_example() -> None:
    _, p = classic(
        '{"topic":"/contractMarket/tradeOrders:XBTUSDTM","type":"message",'
        '"subject":"symbolOrderChange","userId":"633559791e1cbc0001f319bc",'
        '"channelType":"private","data":{"symbol":"XBTUSDTM","side":"buy","canceledSize":"0",'
        '"orderId":"247899236673269761","liquidity":"maker","marginMode":"ISOLATED",'
        '"type":"open","orderTime":1731916985768138917,"size":"1","filledSize":"0",'
        '"price":"91670","remainSize":"1","status":"open","ts":1731916985789000000}}'
    )
    assert isinstance(p, futures.FuturesOrderChange)
    assert p.order_id == "247899236673269761"
    assert p.price == Decimal("91670") and p.size == Decimal("1")
    assert p.margin_mode == "ISOLATED"
    assert p.order_time == 1731916985768138917 and type(p.order_time) is int


def test_futures_wallet_example() -> None:
    message, p = classic(
        '{"topic":"/contractAccount/wallet","type":"message","subject":"walletBalance.change",'
        '"id":"673b0bb925b4bc0001fadfef","userId":"633559791e1cbc0001f319bc",'
        '"channelType":"private","data":{"crossPosMargin":"0","isolatedOrderMargin":"18.1188",'
        '"holdBalance":"0","equity":"81.273621258","version":"1337",'
        '"availableBalance":"26.144281178","isolatedPosMargin":"36.80984008",'
        '"walletBalance":"81.072921258","isolatedFundingFeeMargin":"0","crossUnPnl":"0",'
        '"totalCrossMargin":"26.144281178","currency":"USDT","isolatedUnPnl":"0.2007",'
        '"crossOrderMargin":"0","timestamp":"1731916996764"}}'
    )
    assert message.id == "673b0bb925b4bc0001fadfef"
    assert isinstance(p, futures.FuturesWalletBalance)
    assert p.wallet_balance == Decimal("81.072921258")
    assert p.isolated_un_pnl == Decimal("0.2007")
    assert p.version == 1337 and type(p.version) is int
    assert p.timestamp == 1731916996764 and type(p.timestamp) is int


def test_futures_position_docs_values() -> None:
    _, p = classic(
        '{"topic":"/contract/position:XBTUSDTM","type":"message","subject":"position.change",'
        '"userId":"633559791e1cbc0001f319bc","channelType":"private",'
        '"data":{"symbol":"XBTUSDTM","crossMode":false,"delevPercentage":0.10,'
        '"openingTimestamp":1731916985768,"currentTimestamp":1731916996764,"currentQty":1,'
        '"currentCost":91.6945,"currentComm":0.0550167,"unrealisedCost":91.6945,'
        '"realisedGrossCost":0,"realisedCost":0.0550167,"isOpen":true,"markPrice":91839.79,'
        '"markValue":91.83979,"posCost":91.6945,"posInit":30.56483333,"posMargin":30.6198,'
        '"realisedGrossPnl":0,"realisedPnl":-0.0550167,"unrealisedPnl":0.14529,'
        '"unrealisedPnlPcnt":0.0016,"unrealisedRoePcnt":0.0048,"avgEntryPrice":91694.5,'
        '"liquidationPrice":61717.3,"bankruptPrice":61258.6,"settleCurrency":"USDT",'
        '"marginMode":"ISOLATED","positionSide":"BOTH","leverage":3,'
        '"changeReason":"positionChange"}}'
    )
    assert isinstance(p, futures.FuturesPositionChange)
    assert p.current_qty == 1 and type(p.current_qty) is int
    assert p.mark_price == 91839.79 and type(p.mark_price) is float
    assert p.avg_entry_price == 91694.5
    assert p.delev_percentage == 0.10 and p.is_open is True
    assert p.realised_gross_cost == 0 and type(p.realised_gross_cost) is float
    assert p.change_reason == "positionChange"


def test_futures_margin_mode_and_cross_leverage_examples() -> None:
    _, mode = classic(
        '{"topic":"/contract/marginMode","type":"message","subject":"user.config",'
        '"data":{"ETHUSDTM":"ISOLATED"}}'
    )
    assert isinstance(mode, futures.FuturesMarginModeChange)
    assert mode.modes == {"ETHUSDTM": "ISOLATED"}
    _, lev = classic(
        '{"topic":"/contract/crossLeverage","type":"message","subject":"user.config",'
        '"data":{"ETHUSDTM":{"leverage":"8"}}}'
    )
    assert isinstance(lev, futures.FuturesCrossLeverageChange)
    assert lev.leverages["ETHUSDTM"].leverage == Decimal("8")


def test_pro_order_cancel_capture() -> None:
    push, p = pro_push(
        '{"T":"orderAll.UNIFIED","P":1771757876485897853,"d":{"tT":"FUTURES",'
        '"oi":"414938686455627776","ci":"mQAC54sT8VMAAQAAAAAA","os":5,"eT":"CANCEL",'
        '"s":"XBTUSDTM","S":"BUY","oT":"LIMIT","lR":"","oS":"USER","p":"50000","ti":"",'
        '"q":"1","qU":"UNIT","fS":"0","lS":"0","ls":"0","aP":"0","f":"0","fC":"USDT","t":"0",'
        '"cR":"USER","cS":"1","rS":"0","tD":"","tP":"","tPT":"","pP":"","pPT":"","lP":"",'
        '"lPT":"","toi":"","stp":"","rO":false,"tIF":"GTC","pO":false,'
        '"O":1771742294039455063,"U":1771757876483000000}}'
    )
    assert push.push_time_ns == 1771757876485897853
    assert isinstance(p, pro.ProOrder)
    assert p.order_id == "414938686455627776" and p.status_code == 5
    assert p.event_type == "CANCEL" and p.trade_type == "FUTURES"
    assert p.price == Decimal("50000") and p.canceled_quantity == Decimal("1")
    assert p.last_liquidity_role is None and p.trigger_price is None
    assert p.reduce_only is False and p.post_only is False
    assert p.created_ns == 1771742294039455063 and type(p.updated_ns) is int


def test_pro_balance_capture() -> None:
    _, p = pro_push(
        '{"T":"balance.UNIFIED","P":1771732989773425836,"d":{"c":"USDT","e":"500.0000000000",'
        '"b":"500.0000000000","a":"499.9700000000","h":"0.0300000000",'
        '"U":1771504095649000000,"l":"0.0000000000"}}'
    )
    assert isinstance(p, pro.ProBalance)
    assert p.currency == "USDT"
    assert p.available == Decimal("499.97") and p.hold == Decimal("0.03")
    assert p.updated_ns == 1771504095649000000
    assert p.sequence is None


def test_pro_position_capture() -> None:
    _, p = pro_push(
        '{"T":"positionAll.UNIFIED","P":1771761913787998066,"d":{"pi":"30000000000072788",'
        '"s":"XBTUSDTM","mM":"CROSS","q":"1","eP":"68130","pV":"68.1304","mP":"68130.4",'
        '"lP":"0.1","bP":"0.1","l":"3","uPL":"0.0004","rPL":"0.0047691",'
        '"iM":"22.71013333106232","mmr":"0.004","mtM":"0.2725216","U":1771761913781000000,'
        '"O":1771761913781000000}}'
    )
    assert isinstance(p, pro.ProPosition)
    assert p.position_id == "30000000000072788" and p.margin_mode == "CROSS"
    assert p.quantity == Decimal("1") and p.entry_price == Decimal("68130")
    assert p.liquidation_price == Decimal("0.1")
    assert p.initial_margin == Decimal("22.71013333106232")


def test_pro_execution_example() -> None:
    _, p = pro_push(
        '{"T":"execution.SPOT","P":1770107561276396856,"d":{"E":1770107561258000000,"S":"BUY",'
        '"f":"0.00078823600000000000","p":"78823.6","q":"0.00001","s":"BTC-USDT","fC":"USDT",'
        '"lR":"TAKER","oT":"MARKET","oi":"6981b2a91c6fcb0007422784","ti":"21002796345212928"}}'
    )
    assert isinstance(p, pro.ProExecution)
    assert p.trade_time_ns == 1770107561258000000
    assert p.price == Decimal("78823.6") and p.fee == Decimal("0.000788236")
    assert p.trade_id == "21002796345212928" and p.liquidity_role == "TAKER"
