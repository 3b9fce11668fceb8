// Load client for floe's throughput benchmarks, on the real Ice 3.7 C++
// runtime: each of THREADS threads has its own communicator (its own
// connection and session through the router) and calls TARGET's sayHello
// twoway, one call in flight per thread, for SECONDS after a short warm-up.
// With "shared" after SECONDS, the threads share one communicator instead,
// as the threads of one client application do: one connection and session,
// THREADS calls in flight on it.
// It prints one line: `RESULT calls failures median_us p99_us`.
//
// It uses ice_invoke, so it needs no generated code:
//   load ROUTER TARGET THREADS SECONDS [shared]
#include <Ice/Ice.h>
#include <Glacier2/Glacier2.h>

#include <algorithm>
#include <condition_variable>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

int main(int argc, char* argv[])
{
    if(argc != 5 && !(argc == 6 && std::string(argv[5]) == "shared"))
    {
        std::cerr << "usage: load ROUTER TARGET THREADS SECONDS [shared]" << std::endl;
        return 2;
    }
    const bool shared = argc == 6;
    const std::string router = argv[1], target = argv[2];
    const int threads = std::stoi(argv[3]);
    const double seconds = std::stod(argv[4]);

    std::atomic<bool> measuring(false), stop(false);
    std::atomic<long> calls(0), failures(0);
    std::mutex mu;
    std::vector<long> latencies; // microseconds, measured calls only
    std::atomic<int> ready(0);
    std::atomic<bool> failed(false);
    std::shared_ptr<Ice::Communicator> sharedCommunicator;
    std::condition_variable sessionReady;

    auto connect = [&](int n) {
        Ice::InitializationData init;
        init.properties = Ice::createProperties();
        init.properties->setProperty("Ice.Default.Router", router);
        init.properties->setProperty("Ice.RetryIntervals", "-1");
        init.properties->setProperty("Ice.Warn.Connections", "0");
        if(shared)
        {
            // Enough client threads to read replies while THREADS wait.
            init.properties->setProperty("Ice.ThreadPool.Client.Size", "2");
        }
        auto communicator = Ice::initialize(init);
        try
        {
            auto r = Ice::checkedCast<Glacier2::RouterPrx>(communicator->getDefaultRouter());
            r->createSession("bench" + std::to_string(n), "x");
        }
        catch(...)
        {
            communicator->destroy();
            throw;
        }
        return communicator;
    };

    auto work = [&](int n) {
        try
        {
            Ice::CommunicatorHolder own;
            if(!shared || n == 0)
            {
                own = Ice::CommunicatorHolder(connect(n));
            }
            std::unique_lock<std::mutex> setup(mu);
            if(shared && n == 0)
            {
                sharedCommunicator = own.communicator();
                sessionReady.notify_all();
            }
            sessionReady.wait(setup, [&] { return !shared || sharedCommunicator || failed; });
            auto communicator = shared ? sharedCommunicator : own.communicator();
            setup.unlock();
            if(!communicator)
            {
                throw std::runtime_error("no session");
            }
            auto prx = communicator->stringToProxy(target);
            Ice::OutputStream out(communicator);
            out.startEncapsulation();
            out.write(std::string("bench"));
            out.endEncapsulation();
            std::vector<Ice::Byte> in;
            out.finished(in);
            std::vector<Ice::Byte> result;
            std::vector<long> mine;
            mine.reserve(1 << 20);
            ready++;
            while(!stop)
            {
                auto start = Clock::now();
                bool ok = false;
                try
                {
                    ok = prx->ice_invoke("sayHello", Ice::OperationMode::Normal, in, result);
                }
                catch(const Ice::Exception&)
                {
                }
                auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
                if(measuring)
                {
                    calls++;
                    if(!ok)
                    {
                        failures++;
                    }
                    mine.push_back(us);
                }
            }
            std::lock_guard<std::mutex> lock(mu);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        }
        catch(const std::exception& e)
        {
            std::cerr << "thread " << n << ": " << e.what() << std::endl;
            std::lock_guard<std::mutex> lock(mu);
            failed = true;
            ready++;
            sessionReady.notify_all();
        }
    };

    std::vector<std::thread> ts;
    for(int i = 0; i < threads; ++i)
    {
        ts.emplace_back(work, i);
    }
    while(ready < threads)
    {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // warm-up
    measuring = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    measuring = false;
    stop = true;
    for(auto& t : ts)
    {
        t.join();
    }
    if(failed || latencies.empty())
    {
        return 1;
    }
    std::sort(latencies.begin(), latencies.end());
    std::cout << "RESULT " << calls << " " << failures << " " << latencies[latencies.size() / 2] << " "
              << latencies[latencies.size() * 99 / 100] << std::endl;
    return 0;
}
