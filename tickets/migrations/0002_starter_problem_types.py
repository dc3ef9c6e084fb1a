"""Starter queues and problem types of an exchange's support desk, in Chinese and English (editable in the admin)."""

from django.db import migrations

QUEUES = [
    ("payments", "Payments (deposits and withdrawals)"),
    ("verification", "Verification (KYC)"),
    ("security", "Account security"),
    ("trading", "Trading and futures"),
    ("general", "General"),
]

NETWORKS = [
    {"value": "ERC20", "label": {"zh-hans": "以太坊 (ERC20)", "en": "Ethereum (ERC20)"}},
    {"value": "TRC20", "label": {"zh-hans": "波场 (TRC20)", "en": "Tron (TRC20)"}},
    {"value": "BEP20", "label": {"zh-hans": "BNB 智能链 (BEP20)", "en": "BNB Smart Chain (BEP20)"}},
    {"value": "Bitcoin", "label": {"zh-hans": "比特币", "en": "Bitcoin"}},
    {"value": "Solana", "label": {"zh-hans": "Solana", "en": "Solana"}},
    {"value": "other", "label": {"zh-hans": "其他网络", "en": "Other network"}},
]


def coin(required=True):
    return {
        "name": "coin",
        "type": "text",
        "required": required,
        "label": {"zh-hans": "币种", "en": "Coin"},
        "help": {"zh-hans": "例如 USDT、BTC、ETH", "en": "e.g. USDT, BTC, ETH"},
    }


def network(help_zh, help_en):
    return {
        "name": "network",
        "type": "choice",
        "required": True,
        "label": {"zh-hans": "网络", "en": "Network"},
        "help": {"zh-hans": help_zh, "en": help_en},
        "choices": NETWORKS,
    }


def txid(required):
    return {
        "name": "txid",
        "type": "txid",
        "required": required,
        "label": {"zh-hans": "交易哈希 (TxID)", "en": "Transaction ID (TxID)"},
        "help": {
            "zh-hans": "在钱包或区块浏览器的转账记录中复制。",
            "en": "Copy it from the transfer record in your wallet or a block explorer.",
        },
    }


def amount(label_zh, label_en):
    return {"name": "amount", "type": "amount", "required": True, "label": {"zh-hans": label_zh, "en": label_en}}


def address(name, label_zh, label_en, help_zh, help_en):
    return {
        "name": name,
        "type": "address",
        "required": True,
        "label": {"zh-hans": label_zh, "en": label_en},
        "help": {"zh-hans": help_zh, "en": help_en},
    }


ACCOUNT_UID = {
    "name": "uid",
    "type": "uid",
    "required": True,
    "label": {"zh-hans": "您的 UID", "en": "Your UID"},
    "help": {"zh-hans": "账户页面上显示的数字 ID。", "en": "The numeric ID shown on your account page."},
}

TYPES = [
    {
        "slug": "deposit-not-credited",
        "queue": "payments",
        "names": {"zh-hans": "充值未到账", "en": "Deposit not credited"},
        "descriptions": {
            "zh-hans": "链上已确认，但资产没有出现在账户中。",
            "en": "The transfer is confirmed on chain but the funds are not in your account.",
        },
        "fields": [
            coin(),
            network("选择您转账时使用的网络。", "The network you sent the funds on."),
            txid(True),
            amount("充值数量", "Amount deposited"),
            address(
                "deposit_address",
                "充币地址",
                "Deposit address",
                "您转入的本平台充币地址。",
                "Our deposit address you sent the funds to.",
            ),
        ],
    },
    {
        "slug": "withdrawal-problem",
        "queue": "payments",
        "names": {"zh-hans": "提币问题", "en": "Withdrawal problem"},
        "descriptions": {
            "zh-hans": "提币处理中时间过长、失败，或对方未收到。",
            "en": "A withdrawal is pending too long, failed, or did not arrive.",
        },
        "fields": [
            coin(),
            network("您提币时选择的网络。", "The network you chose for the withdrawal."),
            txid(False),
            amount("提币数量", "Amount withdrawn"),
            address(
                "destination_address",
                "提币目标地址",
                "Destination address",
                "接收资金的地址。",
                "The address that should receive the funds.",
            ),
        ],
    },
    {
        "slug": "identity-verification",
        "queue": "verification",
        "names": {"zh-hans": "身份认证 (KYC)", "en": "Identity verification (KYC)"},
        "descriptions": {
            "zh-hans": "认证被拒、审核时间过长或证件问题。",
            "en": "Verification rejected, review taking long, or questions about documents.",
        },
        "fields": [
            ACCOUNT_UID,
            {
                "name": "kyc_issue",
                "type": "choice",
                "required": True,
                "label": {"zh-hans": "遇到的问题", "en": "What happened"},
                "choices": [
                    {"value": "rejected", "label": {"zh-hans": "认证被拒绝", "en": "Verification was rejected"}},
                    {"value": "pending", "label": {"zh-hans": "审核时间过长", "en": "Review is taking too long"}},
                    {"value": "documents", "label": {"zh-hans": "证件或资料问题", "en": "Question about documents"}},
                    {"value": "other", "label": {"zh-hans": "其他", "en": "Something else"}},
                ],
            },
        ],
    },
    {
        "slug": "account-security",
        "queue": "security",
        "names": {"zh-hans": "账户安全", "en": "Account security"},
        "descriptions": {
            "zh-hans": "丢失 2FA、可疑登录或账户被冻结。",
            "en": "Lost 2FA, a suspicious login, or a frozen account.",
        },
        "fields": [
            ACCOUNT_UID,
            {
                "name": "security_issue",
                "type": "choice",
                "required": True,
                "label": {"zh-hans": "遇到的问题", "en": "What happened"},
                "choices": [
                    {
                        "value": "lost_2fa",
                        "label": {"zh-hans": "丢失 2FA / 身份验证器", "en": "Lost 2FA / authenticator"},
                    },
                    {
                        "value": "suspicious_login",
                        "label": {"zh-hans": "可疑登录或操作", "en": "Suspicious login or activity"},
                    },
                    {"value": "frozen_account", "label": {"zh-hans": "账户被冻结", "en": "Account frozen"}},
                    {"value": "other", "label": {"zh-hans": "其他", "en": "Something else"}},
                ],
            },
        ],
    },
    {
        "slug": "trading-futures",
        "queue": "trading",
        "names": {"zh-hans": "交易与合约", "en": "Trading and futures"},
        "descriptions": {
            "zh-hans": "现货或合约订单、强平、资金费率等问题。",
            "en": "Spot or futures orders, liquidations, funding fees.",
        },
        "fields": [
            {
                "name": "market",
                "type": "choice",
                "required": True,
                "label": {"zh-hans": "交易类型", "en": "Market"},
                "choices": [
                    {"value": "spot", "label": {"zh-hans": "现货", "en": "Spot"}},
                    {"value": "futures", "label": {"zh-hans": "合约", "en": "Futures"}},
                    {"value": "margin", "label": {"zh-hans": "杠杆", "en": "Margin"}},
                ],
            },
            {
                "name": "pair",
                "type": "text",
                "required": True,
                "label": {"zh-hans": "交易对", "en": "Trading pair"},
                "help": {"zh-hans": "例如 BTC/USDT", "en": "e.g. BTC/USDT"},
            },
            {
                "name": "order_id",
                "type": "text",
                "required": False,
                "label": {"zh-hans": "订单号（选填）", "en": "Order ID (optional)"},
            },
        ],
    },
    {
        "slug": "promotions-rewards",
        "queue": "general",
        "names": {"zh-hans": "活动与奖励", "en": "Promotions and rewards"},
        "descriptions": {
            "zh-hans": "活动奖励未发放、卡券或返佣问题。",
            "en": "Rewards not received, vouchers, referral commissions.",
        },
        "fields": [
            {
                "name": "campaign",
                "type": "text",
                "required": True,
                "label": {"zh-hans": "活动名称", "en": "Campaign"},
                "help": {"zh-hans": "活动公告的标题或链接。", "en": "The title or link of the campaign announcement."},
            },
        ],
    },
    {
        "slug": "complaint",
        "queue": "general",
        "names": {"zh-hans": "投诉与建议", "en": "Complaint"},
        "descriptions": {
            "zh-hans": "对服务不满意，或希望我们改进的地方。",
            "en": "You are unhappy with our service or want something improved.",
        },
        "fields": [
            {
                "name": "earlier_reference",
                "type": "text",
                "required": False,
                "label": {"zh-hans": "相关工单号（选填）", "en": "Earlier ticket reference (optional)"},
                "help": {"zh-hans": "例如 HD-7KQ2M9XP", "en": "e.g. HD-7KQ2M9XP"},
            },
        ],
    },
    {
        "slug": "something-else",
        "queue": "general",
        "names": {"zh-hans": "其他问题", "en": "Something else"},
        "descriptions": {"zh-hans": "以上都不符合时选择此项。", "en": "Anything not listed above."},
        "fields": [],
    },
]


def create(apps, schema_editor):
    Queue = apps.get_model("tickets", "Queue")
    ProblemType = apps.get_model("tickets", "ProblemType")
    queues = {}
    for slug, name in QUEUES:
        queues[slug], _created = Queue.objects.get_or_create(slug=slug, defaults={"name": name})
    for position, spec in enumerate(TYPES, 1):
        ProblemType.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "names": spec["names"],
                "descriptions": spec["descriptions"],
                "queue": queues[spec["queue"]],
                "position": position * 10,
                "fields": spec["fields"],
            },
        )


def remove(apps, schema_editor):
    apps.get_model("tickets", "ProblemType").objects.filter(slug__in=[t["slug"] for t in TYPES]).delete()
    apps.get_model("tickets", "Queue").objects.filter(slug__in=[slug for slug, _name in QUEUES]).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
