"""Portfolio category (client: ``portfolio_mixin.py``): positions, portfolio accounts, allocation.

``state`` owns the portfolio view of the accounts (master/sub-accounts, position caches);
``routes`` serves /portfolio/..., ``analyst`` PortfolioAnalyst's /pa/....
"""
