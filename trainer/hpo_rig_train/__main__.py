from hpo_rig_train.cli import main

raise SystemExit(main())
