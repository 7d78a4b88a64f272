from migcheck.launch import main

main()
